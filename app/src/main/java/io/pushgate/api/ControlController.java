package io.pushgate.api;

import static io.pushgate.api.PresenceController.name;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.pushgate.api.problem.ProblemException;
import io.pushgate.core.ApiRole;
import io.pushgate.core.BanLength;
import io.pushgate.core.Broker;
import io.pushgate.core.NodeStats;
import io.pushgate.web.Audit;

import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

/** Kicking sessions (closed with 4403) on whichever node they are, and the counters of every node. */
@RestController
class ControlController {

    private final Broker broker;
    private final ApiRole node;

    ControlController(Broker broker, ApiRole node) {
        this.broker = broker;
        this.node = node;
    }

    /** The longest ban a kick may give. */

    /** With {@code ban}, the uid is banned first (on every node), so no session it opens meanwhile survives the kick. */
    @DeleteMapping("/api/v1/uids/{uid}/sessions")
    Mono<Answers.Kicked> kickUid(@PathVariable String uid, @RequestParam(name = "ban", required = false) @Nullable String ban,
                                 ServerWebExchange exchange) {
        String name = name("uid", uid);
        long until = banUntil(ban);
        Mono<Void> banned = until > 0 ? broker.banUid(name, until) : Mono.empty();
        return audited(exchange, until, "uid:" + name, null, banned.then(broker.kickUid(name)).map(Answers.Kicked::new));
    }

    /** With {@code ban}, the client's uid is banned. */
    @DeleteMapping("/api/v1/clients/{clientId}")
    Mono<Answers.Kicked> kickClient(@PathVariable String clientId, @RequestParam(name = "ban", required = false) @Nullable String ban,
                                    ServerWebExchange exchange) {
        String id = name("client id", clientId);
        long until = banUntil(ban);
        Mono<Void> banned = Mono.empty();
        String memberUid = null;
        if (until > 0) {
            memberUid = node.uidOfClient(id);
            if (memberUid == null) {
                return audited(exchange, until, "client:" + id, null, Mono.error(MembershipController.clientNotFound()));
            }
            banned = broker.banUid(memberUid, until);
        }
        return audited(exchange, until, "client:" + id, memberUid == null ? null : "uid=" + memberUid,
                banned.then(broker.kickClient(id)).map(kicked -> {
                    if (!kicked) {
                        throw MembershipController.clientNotFound();
                    }
                    return new Answers.Kicked(1);
                }));
    }

    /**
     * The kick with its audit line, written once its outcome is known: a kick that failed was still
     * asked for, and who asked matters most then. A ban is action {@code ban}, a kick alone {@code kick}.
     */
    private static Mono<Answers.Kicked> audited(ServerWebExchange exchange, long until, String target,
                                               @Nullable String about, Mono<Answers.Kicked> kick) {
        String who = Audit.apiKey(exchange.getAttribute(ApiRequests.KEY_ID));
        String action = until > 0 ? "ban" : "kick";
        String detail = (about == null ? "" : about + " ") + (until > 0 ? Audit.banUntil(until) + " " : "");
        return kick
                .doOnSuccess(kicked -> Audit.action(who, action, target, detail + "closed=" + kicked.closed(), "ok"))
                .doOnError(e -> Audit.action(who, action, target, detail.isEmpty() ? null : detail.strip(),
                        "failed:" + (e instanceof ProblemException problem ? problem.problem().slug() : e.getClass().getSimpleName())));
    }

    /** @return when a ban of {@code ban} seconds from now ends (epoch ms), or 0 for no ban */
    private static long banUntil(@Nullable String ban) {
        if (ban == null) {
            return 0;
        }
        try {
            return BanLength.untilMillis(ban, System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /**
     * Every node's counters, this node first, and their sum. The total's uids and groups are the
     * cluster's distinct ones (a uid on two nodes counts once); its lag is the worst node's; it is healthy
     * (and accepting) only when every node is; its broker state is this node's view of the cluster.
     */
    @GetMapping("/api/v1/stats")
    Mono<Answers.Stats> stats() {
        return broker.stats().map(all -> {
            int sessions = 0;
            long in = 0;
            long out = 0;
            double inRate = 0;
            double outRate = 0;
            long dropped = 0;
            long lag = 0;
            long gapResets = 0;
            long entriesRead = 0;
            long messagesRead = 0;
            boolean accepting = true;
            boolean healthy = true;
            Map<String, Integer> byTransport = new HashMap<>();
            List<Answers.NodeCounters> nodes = all.stream().map(ControlController::counters).toList();
            for (NodeStats s : all) {
                sessions += s.sessions();
                in += s.messagesIn();
                out += s.messagesOut();
                inRate += s.messagesInPerSecond();
                outRate += s.messagesOutPerSecond();
                dropped += s.dropped();
                lag = Math.max(lag, s.brokerLagMillis());
                gapResets += s.gapResets();
                entriesRead += s.brokerEntriesRead();
                messagesRead += s.brokerMessagesRead();
                accepting &= s.accepting();
                healthy &= s.healthy();
                s.sessionsByTransport().forEach((t, n) -> byTransport.merge(t, n, Integer::sum));
            }
            Answers.NodeCounters total = new Answers.NodeCounters("total", sessions, byTransport,
                    node.onlineUidCount(), node.groupCount(), in, out, inRate, outRate, dropped, lag, gapResets,
                    null, null, null, null, accepting, all.isEmpty() ? NodeStats.BROKER_UNKNOWN : all.get(0).brokerState(), healthy,
                    entriesRead, messagesRead);
            return new Answers.Stats(nodes, total);
        });
    }

    private static Answers.NodeCounters counters(NodeStats s) {
        boolean started = s.startedAt() > 0;
        boolean heap = s.heapMaxBytes() > 0;
        return new Answers.NodeCounters(s.node(), s.sessions(), s.sessionsByTransport(), s.uids(), s.groups(),
                s.messagesIn(), s.messagesOut(), s.messagesInPerSecond(), s.messagesOutPerSecond(), s.dropped(),
                s.brokerLagMillis(), s.gapResets(), started ? s.startedAt() : null,
                started ? Math.max(0, (System.currentTimeMillis() - s.startedAt()) / 1000) : null,
                heap ? s.heapUsedBytes() : null, heap ? s.heapMaxBytes() : null, s.accepting(), s.brokerState(), s.healthy(),
                s.brokerEntriesRead(), s.brokerMessagesRead());
    }
}
