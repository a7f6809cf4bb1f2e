package io.pushgate.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.pushgate.core.ApiRole;
import io.pushgate.core.Names;

import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Who is connected, in the whole cluster: every node answers alike ({@link ApiRole}). Lists are in ascending name order and paged by name: pass the answer's
 * {@code next} as {@code after} to get the following page; {@code next} is null on the last page.
 * A group exists while it has members, so an empty group answers with empty lists, not 404.
 */
@RestController
class PresenceController {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    private final ApiRole node;

    PresenceController(ApiRole node) {
        this.node = node;
    }

    @GetMapping("/api/v1/uids/{uid}")
    Answers.UidPresence uid(@PathVariable String uid) {
        List<String> sessions = node.sessionsOfUid(name("uid", uid));
        long bannedUntil = node.bannedUntil(uid);
        return new Answers.UidPresence(uid, !sessions.isEmpty(), sessions.size(), sessions,
                bannedUntil > 0 ? bannedUntil : null);
    }

    @GetMapping("/api/v1/uids")
    Answers.UidPage uids(@RequestParam(required = false) @Nullable String online,
                         @RequestParam(required = false) @Nullable String after,
                         @RequestParam(required = false) @Nullable String limit) {
        if (online != null && !online.isEmpty() && !online.equals("true")) {
            throw ApiException.badRequest("only online uids are listed: use ?online or ?online=true");
        }
        int size = limit(limit);
        List<String> page = node.onlineUids(after(after), size + 1);
        return new Answers.UidPage(node.onlineUidCount(), trim(page, size), next(page, size));
    }

    @GetMapping("/api/v1/groups/{group}")
    Answers.GroupPresence group(@PathVariable String group) {
        Map<String, String> members = node.groupMembers(name("group", group));
        List<String> uids = new ArrayList<>(new TreeSet<>(members.values()));
        List<String> clientIds = new ArrayList<>(members.keySet());
        clientIds.sort(null);
        return new Answers.GroupPresence(group, uids, members.size(), clientIds);
    }

    @GetMapping("/api/v1/groups")
    Answers.GroupPage groups(@RequestParam(required = false) @Nullable String after,
                             @RequestParam(required = false) @Nullable String limit) {
        int size = limit(limit);
        List<String> page = node.groupNames(after(after), size + 1);
        List<Answers.GroupSummary> groups = new ArrayList<>();
        for (String name : trim(page, size)) {
            groups.add(new Answers.GroupSummary(name, node.groupMemberCount(name)));
        }
        return new Answers.GroupPage(node.groupCount(), groups, next(page, size));
    }

    static String name(String kind, String value) {
        if (!Names.isValid(value)) {
            throw ApiException.badRequest(kind + " must be 1-" + Names.MAX_LENGTH + " characters without spaces or control characters");
        }
        return value;
    }

    private static @Nullable String after(@Nullable String after) {
        return after == null || after.isEmpty() ? null : after;
    }

    /** Read here rather than bound as a number, so {@code 1.5} or a 20-digit limit gets this message too. */
    private static int limit(@Nullable String limit) {
        if (limit == null || limit.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        if (limit.length() > 4 || !limit.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(limit) < 1 || Integer.parseInt(limit) > MAX_LIMIT) {
            throw ApiException.badRequest("limit must be a whole number from 1 to " + MAX_LIMIT);
        }
        return Integer.parseInt(limit);
    }

    private static List<String> trim(List<String> page, int size) {
        return page.size() > size ? page.subList(0, size) : page;
    }

    private static @Nullable String next(List<String> page, int size) {
        return page.size() > size ? page.get(size - 1) : null;
    }
}
