package io.pushgate.broker.redis;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pushgate.core.BrokerRole;
import io.pushgate.core.NodeStats;
import io.pushgate.core.ClusterEntry;
import io.pushgate.core.Session;
import io.pushgate.core.SessionEvents;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * This node's presence in the cluster, and the cluster's in this node. Each node keeps its sessions in a
 * Redis hash that the append script maintains from the log's presence entries; this class
 * <ul>
 * <li>sends this node's session changes to the log as they happen ({@link SessionEvents}), in the order
 * the hub makes them;</li>
 * <li>restates this node's sessions and uid memberships afresh after a gap (a {@code NodeGone} of its own,
 * then its sessions), so the hash and every other node's roster match it again;</li>
 * <li>renews this node's lease every {@code heartbeat}, with its stats, and reaps nodes whose lease ran
 * out (the heartbeat script does, telling every node through the log);</li>
 * <li>loads the other nodes' sessions, the uid memberships and the running bans from Redis when this
 * node (re)joins.</li>
 * </ul>
 */
final class NodePresence implements SessionEvents {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    /** Sessions per restate entry: keeps each entry, and the script call that carries it, small. */
    private static final int RESTATE_CHUNK = 200;

    private final BrokerRole node;
    private final ReactiveStringRedisTemplate redis;
    private final RedisKeys keys;
    private final RedisSettings settings;
    private final ClusterLink link;
    private final LogAppender appender;
    private final LogCodec codec;
    private final Clock clock;
    private final String self;
    private volatile Map<String, String> remoteStats = Map.of();
    private @Nullable Disposable beats;

    NodePresence(BrokerRole node, ReactiveStringRedisTemplate redis, RedisKeys keys, RedisSettings settings,
                 ClusterLink link, LogAppender appender, LogCodec codec, Clock clock) {
        this.node = node;
        this.redis = redis;
        this.keys = keys;
        this.settings = settings;
        this.link = link;
        this.appender = appender;
        this.codec = codec;
        this.clock = clock;
        this.self = node.nodeId();
    }

    /** The other nodes' stats as their last heartbeats stored them, by node; dead nodes' are gone. */
    Map<String, String> remoteStats() {
        return remoteStats;
    }

    // ---- this node's session changes -------------------------------------------------------------------

    @Override
    public void connected(Session session) {
        event(new ClusterEntry.Connected(self, state(session)));
    }

    @Override
    public void disconnected(Session session) {
        event(new ClusterEntry.Disconnected(self, session.clientId()));
    }

    @Override
    public void joined(Session session, String group) {
        event(new ClusterEntry.Joined(self, group, state(session)));
    }

    @Override
    public void left(Session session, String group) {
        event(new ClusterEntry.Left(self, group, state(session)));
    }

    @Override
    public void dataChanged(Session session) {
        event(new ClusterEntry.SessionData(self, state(session)));
    }

    @Override
    public void tookHeld(String uid, long upToSeq) {
        event(new ClusterEntry.HeldDelivered(self, uid, upToSeq));
    }

    private static ClusterEntry.SessionState state(Session session) {
        return new ClusterEntry.SessionState(session.clientId(), session.uid(), session.groups(), session.data());
    }

    /** Called by the hub under its monitor, so the queue holds changes in the order they happened. */
    private void event(ClusterEntry entry) {
        if (link.sendingEvents) { // otherwise the next restate carries it
            appender.enqueue(codec.encode(entry));
            appender.drain();
        }
    }

    // ---- restating, leases and loading the others ---------------------------------------------------------

    /**
     * States this node's sessions and uid memberships afresh, in order with the session changes: the
     * snapshot and its entries are queued while the hub can change nothing.
     */
    void restate() {
        node.snapshot(local -> {
            List<ClusterEntry.SessionState> sessions = local.sessions();
            appender.enqueue(codec.encode(new ClusterEntry.Restating(self, sessions.size())));
            for (int from = 0; from < sessions.size(); from += RESTATE_CHUNK) {
                List<ClusterEntry.SessionState> chunk = sessions.subList(from, Math.min(sessions.size(), from + RESTATE_CHUNK));
                appender.enqueue(codec.encode(new ClusterEntry.Restated(self, chunk)));
            }
            local.uidGroups().forEach((uid, groups) -> groups.forEach(group ->
                    appender.enqueue(codec.encode(new ClusterEntry.UidJoined(self, uid, group, groups)))));
            link.sendingEvents = true;
        });
        appender.drain();
    }

    /**
     * Brings what this node knows of other nodes to their session hashes (told as restates, so only what
     * changed is heard), and loads uid memberships and bans.
     */
    Mono<Void> loadOthers() {
        return redis.opsForZSet().range(keys.nodes(), Range.unbounded()).collectList()
                .flatMap(registered -> {
                    // A node that restated before this node took its log position but has not beaten since is
                    // not registered yet: its session hash says it is there, and its restate is not read again.
                    Set<String> candidates = new java.util.LinkedHashSet<>(registered);
                    candidates.addAll(node.knownNodes());
                    candidates.remove(self);
                    return Flux.fromIterable(candidates)
                            .concatMap(n -> redis.<String, String>opsForHash().entries(keys.sessions(n))
                                    .map(e -> LogCodec.session(e.getKey(), e.getValue()))
                                    .collectList()
                                    .map(sessions -> new ClusterEntry.Restated(n, sessions)))
                            .filter(hash -> registered.contains(hash.node()) || !hash.sessions().isEmpty())
                            .collectList()
                            .doOnNext(live -> {
                                Set<String> liveNodes = new java.util.HashSet<>();
                                live.forEach(hash -> liveNodes.add(hash.node()));
                                node.reloadingOtherNodes(liveNodes).forEach(this::forgetUnlessRestatedSoon);
                                for (ClusterEntry.Restated hash : live) {
                                    node.apply(new ClusterEntry.Restating(hash.node(), hash.sessions().size()));
                                    node.apply(hash);
                                }
                            })
                            .then(redis.<String, String>opsForHash().entries(keys.uidGroups())
                                    .doOnNext(e -> LogEntry.splitItems(e.getValue())
                                            .forEach(group -> node.joinUid(e.getKey(), group)))
                                    .then())
                            .then(loadBans());
                })
                .timeout(settings.timeout().multipliedBy(5));
    }

    /**
     * A node this node knew that Redis does not (Redis lost its data) keeps its sessions here until it
     * restates them; if it has not within the time a live node takes to be reaped, it is taken for dead and
     * forgotten. Meanwhile its users do not seem to leave and come back.
     */
    private void forgetUnlessRestatedSoon(String other) {
        Mono.delay(settings.nodeTimeout().plus(settings.heartbeat()))
                .subscribe(tick -> node.forgetNodeUnlessRestated(other));
    }

    /** Takes the bans still running from the {@code bans} hash, and drops the ones that ended from it. */
    private Mono<Void> loadBans() {
        long now = clock.millis();
        return redis.<String, String>opsForHash().entries(keys.bans())
                .concatMap(e -> {
                    long until = Long.parseLong(e.getValue());
                    if (until > now) {
                        node.ban(e.getKey(), until);
                        return Mono.empty();
                    }
                    return redis.opsForHash().remove(keys.bans(), e.getKey()).then();
                })
                .then();
    }

    /**
     * Beats every {@code heartbeat} while the node is in step. Ticks that come while a heartbeat is still
     * waiting for a slow Redis are dropped, not queued (an interval that cannot emit would end the
     * heartbeats for good), and a failed beat counts as Redis down, never as the end of the beats.
     */
    void startBeating() {
        beats = Flux.interval(settings.heartbeat(), settings.heartbeat())
                .onBackpressureDrop()
                .concatMap(tick -> Mono.defer(() -> link.synced ? heartbeat() : Mono.<Void>empty()).onErrorResume(link::down), 1)
                .subscribe();
    }

    void stopBeating() {
        if (beats != null) {
            beats.dispose();
        }
    }

    private List<String> heartbeatArgs() {
        String epoch = link.epoch; // before the position: see ClusterLink.applied
        return List.of(epoch, self, Long.toString(settings.nodeTimeout().toMillis()),
                NodeStatsCodec.encode(node.stats().withBrokerState(
                        link.synced ? NodeStats.BROKER_UP : NodeStats.BROKER_DEGRADED)), keys.prefix(),
                Integer.toString(settings.logLength()), Long.toString(link.applied));
    }

    /**
     * Renews this node's lease and stores its stats; takes the other nodes' stats. Redis having lost the
     * epoch, or being behind what this node applied, puts the node out of step (the read loop resyncs); a
     * node that was reaped as dead restates.
     */
    Mono<Void> heartbeat() {
        return redis.execute(Scripts.HEARTBEAT,
                        List.of(keys.epoch(), keys.nodes(), keys.stats(), keys.seq(), keys.log()),
                        heartbeatArgs())
                .next()
                .timeout(settings.timeout())
                .doOnNext(answer -> {
                    if ("epoch".equals(String.valueOf(answer.get(0))) || "behind".equals(String.valueOf(answer.get(0)))) {
                        log.warn("Redis lost the cluster's data; node {} restates what it knows", self);
                        link.synced = false;
                        link.sendingEvents = false;
                        return;
                    }
                    if ("new".equals(String.valueOf(answer.get(0)))) {
                        // Not registered: reaped as dead, or joining. Also in a resync, whose restate went
                        // just before this beat: another node's beat may have reaped this one after that
                        // restate (both were out of touch longer than the node timeout, and Redis kept their
                        // stale leases: a promoted replica, a long outage), deleting what it restated, and
                        // nothing but this answer says so. Restating again is cheap: only changes are told.
                        if (link.synced) {
                            log.warn("Node {} had been reaped as dead; restating its sessions", self);
                        } else {
                            log.debug("Node {} was not registered when it resynced; restating its sessions", self);
                        }
                        restate();
                    }
                    Map<String, String> stats = new HashMap<>();
                    for (int i = 1; i + 1 < answer.size(); i += 2) {
                        stats.put(String.valueOf(answer.get(i)), String.valueOf(answer.get(i + 1)));
                    }
                    remoteStats = stats;
                })
                .then();
    }

    /** Leaves the cluster at once: this node's lease, stats and session hash go. */
    Mono<Void> leave() {
        return redis.execute(Scripts.LEAVE, List.of(keys.nodes(), keys.stats()), List.of(self, keys.prefix())).then();
    }
}
