package io.pushgate.admin;

import java.security.Principal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemException;
import io.pushgate.core.ApiRole;
import io.pushgate.core.BanLength;
import io.pushgate.core.Broker;
import io.pushgate.core.Names;
import io.pushgate.core.NodeStats;
import io.pushgate.core.Publication;
import io.pushgate.core.Target;
import io.pushgate.web.Audit;
import io.pushgate.web.JsonBodies;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.jspecify.annotations.Nullable;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the admin page reads and does, each call behind an admin key ({@code AdminSecurity}). Kicks and
 * publishes go through the broker, so they reach every node, as the backend API's do; each is logged
 * with what was done, never with the key.
 */
@RestController
class AdminController {


    /** Groups shown as the top ones. */
    static final int TOP_GROUPS = 10;
    /**
     * Groups read at most to find the top ones, every refresh of every open page: past it the top is
     * that of the first ones by name, and the answer says so ({@code partial}).
     */
    static final int MAX_GROUPS_SCANNED = 10_000;
    /** A publish typed into a form; the backend API's own limit (pushgate.api.max-body-size) is the API's to set. */
    static final int MAX_BODY_BYTES = 1024 * 1024;

    private final Broker broker;
    private final ApiRole node;
    private final JsonBodies bodies;
    private final JsonMapper mapper;

    AdminController(Broker broker, ApiRole node, JsonMapper mapper) {
        this.broker = broker;
        this.node = node;
        this.mapper = mapper;
        this.bodies = new JsonBodies(mapper, MAX_BODY_BYTES);
    }

    record GroupCount(String group, int sessions) {
    }

    /** {@code partial} when there are more groups than were read to find the top ones. */
    record Groups(int count, List<GroupCount> top, boolean partial) {
    }

    /** Every node's counters (this node first) as of {@code at}, the cluster's online uids and its top groups. */
    record Overview(long at, List<NodeStats> nodes, int uids, Groups groups) {
    }

    record UidLookup(String uid, boolean online, List<ApiRole.SessionView> sessions,
                     @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long bannedUntil) {
    }

    record Kicked(int closed, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long bannedUntil) {
    }

    record Published(String id, int sessions) {
    }

    @GetMapping("/admin/api/overview")
    Mono<Overview> overview() {
        return broker.stats().map(nodes -> new Overview(System.currentTimeMillis(), nodes, node.onlineUidCount(), topGroups()));
    }

    private Groups topGroups() {
        PriorityQueue<GroupCount> top = new PriorityQueue<>(Comparator.comparingInt(GroupCount::sessions)
                .thenComparing(GroupCount::group, Comparator.reverseOrder()));
        String after = null;
        int scanned = 0;
        while (scanned < MAX_GROUPS_SCANNED) {
            List<String> page = node.groupNames(after, Math.min(1000, MAX_GROUPS_SCANNED - scanned));
            for (String group : page) {
                top.add(new GroupCount(group, node.groupMemberCount(group)));
                if (top.size() > TOP_GROUPS) {
                    top.poll();
                }
            }
            scanned += page.size();
            if (page.size() < 1000) {
                break;
            }
            after = page.get(page.size() - 1);
        }
        List<GroupCount> sorted = new ArrayList<>(top);
        sorted.sort(Comparator.comparingInt(GroupCount::sessions).reversed().thenComparing(GroupCount::group));
        int count = node.groupCount();
        return new Groups(count, sorted, count > scanned);
    }

    @GetMapping("/admin/api/uids/{uid}")
    UidLookup uid(@PathVariable String uid) {
        List<ApiRole.SessionView> sessions = node.sessionViews(name("uid", uid));
        long bannedUntil = node.bannedUntil(uid);
        return new UidLookup(uid, !sessions.isEmpty(), sessions, bannedUntil > 0 ? bannedUntil : null);
    }

    /** With {@code ban} (seconds), the uid is banned first, on every node, so no session it opens meanwhile survives. */
    @DeleteMapping("/admin/api/uids/{uid}/sessions")
    Mono<Kicked> kick(@PathVariable String uid, @RequestParam(name = "ban", required = false) @Nullable String ban,
                      Principal admin) {
        String name = name("uid", uid);
        long until = banUntil(ban);
        String who = Audit.adminKey(admin.getName());
        String action = until > 0 ? "ban" : "kick";
        String detail = until > 0 ? Audit.banUntil(until) + " " : "";
        Mono<Void> banned = until > 0 ? broker.banUid(name, until) : Mono.empty();
        return banned.then(broker.kickUid(name))
                .doOnSuccess(closed -> Audit.action(who, action, "uid:" + name, detail + "closed=" + closed, "ok"))
                .doOnError(e -> Audit.action(who, action, "uid:" + name, detail.isEmpty() ? null : detail.strip(),
                        "failed:" + e.getClass().getSimpleName()))
                .map(closed -> new Kicked(closed, until > 0 ? until : null));
    }

    /**
     * {@code {"to":"uid"|"group"|"all", "name":…, "event":…, "data":…}}: one message to every session of a
     * uid, of a group, or of everyone.
     */
    @PostMapping("/admin/api/messages")
    Mono<Published> publish(ServerHttpRequest request, Principal admin) {
        return bodies.read(request).flatMap(body -> {
            Publication publication = publication(body);
            String who = Audit.adminKey(admin.getName());
            return broker.publish(publication)
                    .doOnSuccess(result -> Audit.action(who, "publish", describe(publication.target()),
                            "event=" + publication.event() + " sessions=" + result.sessions(), "ok"))
                    .doOnError(e -> Audit.action(who, "publish", describe(publication.target()),
                            "event=" + publication.event(), "failed:" + e.getClass().getSimpleName()))
                    .map(result -> new Published(result.id(), result.sessions()));
        });
    }

    private Publication publication(JsonNode body) {
        if (!body.isObject()) {
            throw badRequest("the body must be a JSON object");
        }
        String to = body.path("to").asString("");
        String event = body.path("event").asString("message");
        if (!Names.isValid(event)) {
            throw badRequest("event must be 1-" + Names.MAX_LENGTH + " characters without spaces");
        }
        Target target = switch (to) {
            case "uid" -> Target.uid(name("uid", body.path("name").asString("")));
            case "group" -> Target.group(name("group", body.path("name").asString("")));
            case "all" -> Target.everyone();
            default -> throw badRequest("to must be \"uid\", \"group\" or \"all\"");
        };
        JsonNode data = body.get("data");
        return new Publication(target, event, data == null ? "null" : mapper.writeValueAsString(data), 0);
    }

    private static String describe(Target target) {
        if (target.all()) {
            return "all";
        }
        return target.uids().isEmpty() ? "group:" + target.groups().get(0) : "uid:" + target.uids().get(0);
    }

    private static String name(String kind, String value) {
        if (!Names.isValid(value)) {
            throw badRequest(kind + " must be 1-" + Names.MAX_LENGTH + " characters without spaces or control characters");
        }
        return value;
    }

    private static long banUntil(@Nullable String ban) {
        if (ban == null || ban.isEmpty()) {
            return 0;
        }
        try {
            return BanLength.untilMillis(ban, System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            throw badRequest(e.getMessage());
        }
    }

    private static ProblemException badRequest(String detail) {
        return new ProblemException(Problem.badRequest(detail));
    }
}
