package io.pushgate.broker.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.pushgate.core.Broker;
import io.pushgate.core.BrokerRole;
import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.ClusterEntry;
import io.pushgate.core.Hub;
import io.pushgate.core.MembershipLimitException;
import io.pushgate.core.NodeStats;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Roster;
import io.pushgate.core.Session;
import io.pushgate.core.SessionEvents;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.publisher.Mono;

/**
 * Runs this node as one of many that share a Redis.
 *
 * <p><b>Why one log.</b> Every publish, presence change, membership change and kick is appended by
 * one script call to one Redis stream under the next number of one cluster-wide sequence, and every
 * node reads that stream in order ({@code XREAD BLOCK} on a connection of its own). So:
 * <ul>
 * <li>every node applies every publish in the same order, so a cursor handed out by one node is valid on
 * every other: a client may resume, or long-poll, on any node with no gap and no duplicate;</li>
 * <li>every node keeps the same history in memory, read from the log when it starts, so resuming is a
 * local read, not a Redis round trip per client;</li>
 * <li>a node that loses Redis for a moment reads on from where it was: nothing published meanwhile is lost
 * (within the log's length), which pub/sub would not give;</li>
 * <li>subscriptions do not follow sessions at all: a connect costs one log entry, not a SUBSCRIBE, and a
 * publish costs one script call whatever the number of target sessions or nodes.</li>
 * </ul>
 * The price is that every node reads every entry, including publishes for uids it does not hold; a
 * node drops those after one map lookup per target. Per-uid or per-group channels would spare that
 * read but lose the one order that keeps cursors valid across nodes, and would cost a SUBSCRIBE per
 * connect. Appends are batched: whatever queued while a script call was in flight goes in the next call.
 *
 * <p><b>Presence.</b> Each node keeps its sessions in a Redis hash and every node keeps a roster
 * of the whole cluster from the log. Nodes renew a lease every {@code heartbeat}; a node whose lease ran
 * out ({@code node-timeout}) is reaped by the next heartbeat of any other node, which removes its
 * sessions everywhere.
 *
 * <p><b>Redis down.</b> Publishes, membership changes and kicks fail with
 * {@link BrokerUnavailableException} (503) while the node cannot reach Redis; connected clients stay
 * connected. When Redis answers again the node restates its sessions and reads on; if Redis lost its
 * data, the nodes restore the epoch and sequence from what they remember, so cursors stay valid.
 *
 * <p><b>Parts.</b> This class is the {@link Broker} the API and transports call, and wires the parts:
 * {@link LogReader} reads the log and hands each entry, decoded by {@link LogCodec}, to the node, which
 * alone says what it means ({@link BrokerRole#apply}); {@link LogAppender} appends to it;
 * {@link NodePresence} sends this node's session changes, restates them and beats its lease;
 * {@link ClusterLink} is the state they share.
 */
public final class RedisBroker implements Broker, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);

    private final BrokerRole node;
    private final String self;
    private final RedisSettings settings;
    private final LogCodec codec;
    private final Clock clock;
    private final ClusterLink link;
    private final LogAppender appender;
    private final NodePresence presence;
    private final LogReader reader;
    private final ReactiveStringRedisTemplate redis;
    private final RedisKeys keys;
    /** The partitioned log's messages when {@code partitions} is above 1, else {@code null}: messages go on the one log. */
    private final @Nullable Partitions partitions;
    /** Publishes accepted and not yet answered; bounded by {@code max-pending-publishes}. */
    private final AtomicInteger pendingPublishes = new AtomicInteger();

    public RedisBroker(BrokerRole node, ReactiveStringRedisTemplate redis, ReactiveRedisConnectionFactory factory,
                       RedisSettings settings, PublicationCodec publications, Clock clock) {
        this(node, redis, factory, settings, publications, clock, 1000, 100_000);
    }

    /**
     * @param heldPerUid   on a partitioned log, the most messages Redis holds for one offline uid under a ttl
     *                     ({@code pushgate.history.max-messages})
     * @param heldMessages on a partitioned log, the bound on uids Redis holds messages for, over the partitions
     *                     ({@code pushgate.history.max-held-messages})
     */
    public RedisBroker(BrokerRole node, ReactiveStringRedisTemplate redis, ReactiveRedisConnectionFactory factory,
                       RedisSettings settings, PublicationCodec publications, Clock clock, int heldPerUid,
                       int heldMessages) {
        this.node = node;
        this.redis = redis;
        this.self = node.nodeId();
        this.settings = settings;
        this.codec = new LogCodec(publications);
        this.clock = clock;
        this.keys = RedisKeys.of(settings.prefix());
        this.link = new ClusterLink(self, node.epoch());
        this.appender = new LogAppender(redis, keys, settings, node.limits(), link);
        this.presence = new NodePresence(node, redis, keys, settings, link, appender, codec, clock);
        this.reader = new LogReader(node, redis, factory, keys, settings, link, presence, codec);
        this.partitions = settings.partitions() == 1 ? null : new Partitions(node, redis,
                ((org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory) factory).getRequiredNativeClient(),
                settings, codec, link, clock, heldPerUid, heldMessages);
    }

    /**
     * The key prefix of the log that carries the uid's messages: {@code {prefix}:} on one log, its partition's
     * {@code {prefix:K}:} on a partitioned one (its {@code log}, {@code seq}, {@code epoch} keys). For operators'
     * tools and tests.
     */
    public static String messageKeyPrefix(String prefix, int partitions, String uid) {
        if (partitions == 1) {
            return RedisKeys.of(prefix).prefix();
        }
        PartitionLayout layout = new PartitionLayout(prefix, partitions);
        return layout.prefix(layout.of(uid));
    }

    /** Starts reading the log and beating; returns at once, the node catches up in the background. */
    public void start() {
        Partitions p = partitions;
        if (p == null) {
            node.joinCluster(presence);
        } else {
            p.start();
            node.joinCluster(both(presence, p));
        }
        // with the control log's, at start and after every outage
        link.onSync = () -> samePartitions().then(p == null ? Mono.empty() : p.sync());
        reader.start();
        presence.startBeating();
    }

    /**
     * The cluster's number of partitions is part of its identity: a node with another one would write a
     * uid's messages where the others do not read them. The first node of a partitioned cluster records it;
     * a node with another number stays out (its sync fails, so it publishes nothing and says why), and one
     * log records nothing, so {@code partitions=1} leaves Redis as it was.
     */
    private Mono<Void> samePartitions() {
        String key = keys.partitions();
        int mine = settings.partitions();
        Mono<Boolean> record = mine == 1 ? Mono.just(false)
                : redis.opsForValue().setIfAbsent(key, Integer.toString(mine));
        return record.then(redis.opsForValue().get(key)).timeout(settings.timeout()).flatMap(recorded -> {
            if (Integer.parseInt(recorded) == mine) {
                return Mono.empty();
            }
            log.error("This node runs with pushgate.redis.partitions={} but the cluster on this Redis with prefix {}"
                    + " has {}: it stays out of the cluster (stop every node to change it)", mine, settings.prefix(), recorded);
            return Mono.error(new BrokerUnavailableException("the cluster has " + recorded + " partitions, this node "
                    + mine, null));
        });
    }

    /** Tells {@code first}, then {@code second}, of every change. */
    private static SessionEvents both(SessionEvents first, SessionEvents second) {
        return new SessionEvents() {
            @Override
            public void connected(Session session) {
                first.connected(session);
                second.connected(session);
            }

            @Override
            public void disconnected(Session session) {
                first.disconnected(session);
                second.disconnected(session);
            }

            @Override
            public void joined(Session session, String group) {
                first.joined(session, group);
                second.joined(session, group);
            }

            @Override
            public void left(Session session, String group) {
                first.left(session, group);
                second.left(session, group);
            }

            @Override
            public void dataChanged(Session session) {
                first.dataChanged(session);
                second.dataChanged(session);
            }

            @Override
            public void tookHeld(String uid, long upToSeq) {
                first.tookHeld(uid, upToSeq);
                second.tookHeld(uid, upToSeq);
            }
        };
    }

    /**
     * Waits until the node has caught up with the cluster (its history read from the log, the other
     * nodes' sessions known), so that it opens its port ready to resume any client's cursor. Gives up
     * after {@code atMost}: with Redis unreachable the node starts anyway, serves its own sessions and
     * joins when Redis answers.
     *
     * @return whether it caught up in time
     */
    public boolean awaitStarted(Duration atMost) {
        return reader.awaitStarted(atMost); // the partitions' epochs are taken before the reader counts as started
    }

    @Override
    public boolean healthy() {
        return link.synced;
    }

    // ---- publishing and commands -----------------------------------------------------------------------

    /** A batch is appended by one script call: all of it reaches the log, or none of it. */
    @Override
    public Mono<List<PublishResult>> publish(List<Publication> publications) {
        return Mono.defer(() -> {
            link.requireSynced();
            if (publications.isEmpty()) {
                return Mono.just(List.<PublishResult>of());
            }
            // bounded: refused before anything is queued, so the 503 means the publish is never delivered
            int n = publications.size();
            if (pendingPublishes.addAndGet(n) > settings.maxPendingPublishes()) {
                pendingPublishes.addAndGet(-n);
                throw new BrokerUnavailableException("Redis is slow: " + settings.maxPendingPublishes()
                        + " publishes are already waiting for it on this node", null);
            }
            try {
                return publishCounted(publications, n);
            } catch (RuntimeException e) {
                pendingPublishes.addAndGet(-n);
                throw e;
            }
        });
    }

    /**
     * Answers count what this node's roster knows now; a message with an idempotency key carries its
     * first answer, for the append script to keep under the key.
     */
    private Mono<List<PublishResult>> publishCounted(List<Publication> publications, int n) {
        long ts = clock.millis();
        Partitions partitioned = partitions;
        if (partitioned != null) {
            node.countPublished(publications.size());
            return partitioned.publish(publications, ts).doFinally(signal -> pendingPublishes.addAndGet(-n));
        }
        String epoch = link.epoch;
        List<String> entries = new ArrayList<>(publications.size() * 2);
        List<PreparedPublish> prepared = new ArrayList<>(publications.size());
        for (Publication publication : publications) {
            PreparedPublish p = PreparedPublish.of(publication, node, codec, ts);
            entries.add(p.kind());
            entries.add(p.value());
            prepared.add(p);
        }
        node.countPublished(publications.size());
        return appender.appendAll(entries).doFinally(signal -> pendingPublishes.addAndGet(-n)).map(appended -> {
            List<PublishResult> results = new ArrayList<>(prepared.size());
            for (int i = 0; i < prepared.size(); i++) {
                String first = appended.duplicates()[i];
                results.add(first != null ? LogAppender.duplicate(first) : prepared.get(i).answer(epoch, appended.seqs()[i]));
            }
            return results;
        });
    }

    /**
     * Checked against the membership caps here first (this node holds every uid's memberships, so it
     * refuses what it can see), then by the append script against the {@code uidgroups} hash, which settles
     * races between nodes. A refusal there undoes the join here; nothing was sent to the other nodes.
     */
    @Override
    public Mono<Integer> joinUid(String uid, String group) {
        int limit = node.limits().groupsPerSession();
        return command(() -> {
            node.checkUidMembership(uid, group);
            boolean had = node.groupsOfUid(uid).contains(group);
            return uidMembership(true, uid, group,
                    groups -> groups.contains(group) || groups.size() < limit, () -> node.joinUid(uid, group))
                    .onErrorResume(MembershipLimitException.class, refused -> {
                        if (!had) {
                            node.leaveUid(uid, group);
                        }
                        return Mono.error(refused);
                    });
        });
    }

    @Override
    public Mono<Integer> leaveUid(String uid, String group) {
        return uidMembership(false, uid, group, groups -> groups.contains(group), () -> node.leaveUid(uid, group));
    }

    /**
     * Applies a backend membership change here at once and sends it to the other nodes, with the uid's
     * groups after it for the hash a restarting node reads. @return the uid's sessions it {@code counts}
     */
    private Mono<Integer> uidMembership(boolean join, String uid, String group, Predicate<Set<String>> counts,
                                        Runnable applyHere) {
        return command(() -> {
            int sessions = 0;
            for (String clientId : node.clusterSessionsOf(uid)) {
                Roster.Member m = node.clusterSession(clientId);
                if (m != null && counts.test(m.groups())) {
                    sessions++;
                }
            }
            applyHere.run();
            Set<String> all = node.groupsOfUid(uid);
            LogEntry change = codec.encode(join
                    ? new ClusterEntry.UidJoined(self, uid, group, all)
                    : new ClusterEntry.UidLeft(self, uid, group, all));
            return appender.append(change).then(inPartition(uid, change)).thenReturn(sessions);
        });
    }

    /** On a partitioned log, the membership change in the member's partition too; see {@link Partitions#membership}. */
    private Mono<Void> inPartition(String uid, LogEntry change) {
        Partitions p = partitions;
        return p == null ? Mono.empty() : p.membership(uid, change);
    }

    @Override
    public Mono<Hub.Join> joinClient(String clientId, String group) {
        return Mono.defer(() -> {
            Hub.Join here = node.joinLocalClient(clientId, group);
            return here != null ? Mono.just(here) : joinRemoteClient(clientId, group);
        });
    }

    private Mono<Hub.Join> joinRemoteClient(String clientId, String group) {
        return command(() -> {
            Roster.Member m = node.clusterSession(clientId);
            if (m == null) {
                return Mono.empty();
            }
            if (m.groups().contains(group)) {
                return Mono.just(Hub.Join.ALREADY_MEMBER);
            }
            if (m.groups().size() >= node.limits().groupsPerSession()) {
                return Mono.just(Hub.Join.TOO_MANY_GROUPS);
            }
            LogEntry change = codec.encode(new ClusterEntry.JoinClient(m.node(), clientId, group));
            return appender.append(change).then(inPartition(m.uid(), change)).thenReturn(Hub.Join.JOINED);
        });
    }

    @Override
    public Mono<Boolean> leaveClient(String clientId, String group) {
        return Mono.defer(() -> {
            Boolean here = node.leaveLocalClient(clientId, group);
            return here != null ? Mono.just(here) : leaveRemoteClient(clientId, group);
        });
    }

    private Mono<Boolean> leaveRemoteClient(String clientId, String group) {
        return command(() -> {
            Roster.Member m = node.clusterSession(clientId);
            if (m == null) {
                return Mono.empty();
            }
            boolean member = m.groups().contains(group);
            LogEntry change = codec.encode(new ClusterEntry.LeaveClient(m.node(), clientId, group));
            return appender.append(change).then(inPartition(m.uid(), change)).thenReturn(member);
        });
    }

    @Override
    public Mono<Integer> kickUid(String uid) {
        return command(() -> {
            int sessions = node.clusterSessionsOf(uid).size();
            node.kickUid(uid);
            return appender.append(codec.encode(new ClusterEntry.UidKicked(self, uid))).thenReturn(sessions);
        });
    }

    /** Applied here at once, and by every other node from the log; the {@code bans} hash serves nodes that start later. */
    @Override
    public Mono<Void> banUid(String uid, long untilMillis) {
        return command(() -> {
            node.ban(uid, untilMillis);
            return appender.append(codec.encode(new ClusterEntry.UidBanned(uid, untilMillis))).then();
        });
    }

    @Override
    public Mono<Boolean> setSessionData(String clientId, @Nullable String data) {
        if (node.setLocalSessionData(clientId, data)) {
            return Mono.just(true);
        }
        return command(() -> {
            Roster.Member m = node.clusterSession(clientId);
            if (m == null) {
                return Mono.just(false);
            }
            return appender.append(codec.encode(new ClusterEntry.SetSessionData(self, m.node(), clientId, data))).thenReturn(true);
        });
    }

    @Override
    public Mono<Boolean> kickClient(String clientId) {
        if (node.kickClient(clientId)) {
            return Mono.just(true);
        }
        return command(() -> {
            Roster.Member m = node.clusterSession(clientId);
            if (m == null) {
                return Mono.just(false);
            }
            return appender.append(codec.encode(new ClusterEntry.KickClient(m.node(), clientId))).thenReturn(true);
        });
    }

    @Override
    public Mono<List<NodeStats>> stats() {
        return Mono.fromSupplier(() -> {
            List<NodeStats> all = new ArrayList<>();
            all.add(node.stats().withBrokerState(healthy() ? NodeStats.BROKER_UP : NodeStats.BROKER_DEGRADED));
            presence.remoteStats().forEach((id, encoded) -> { // dead nodes' stats are removed when they are reaped
                NodeStats decoded = id.equals(self) ? null : NodeStatsCodec.decode(id, encoded);
                if (decoded != null) {
                    all.add(decoded);
                }
            });
            return all;
        });
    }

    private <T> Mono<T> command(Supplier<Mono<T>> action) {
        return Mono.defer(() -> {
            link.requireSynced();
            return action.get();
        });
    }

    // ---- stopping --------------------------------------------------------------------------------------

    /** Leaves the cluster: tells the other nodes this node's sessions are gone and stops reading. */
    @Override
    public void close() {
        if (link.stopped) {
            return;
        }
        if (link.synced) {
            try {
                appender.append(codec.encode(new ClusterEntry.NodeGone(self)))
                        .then(presence.leave())
                        .block(settings.timeout());
            } catch (RuntimeException e) {
                log.warn("Node {} could not say goodbye to Redis ({}); peers reap it within {}", self, e.toString(),
                        settings.nodeTimeout().plus(settings.heartbeat()));
            }
        }
        crash();
    }

    /**
     * Stops all Redis traffic at once without a word to the other nodes, as a killed process would:
     * they reap this node when its lease runs out. Tests use it to prove that bound.
     */
    public void crash() {
        link.stopped = true;
        link.synced = false;
        link.sendingEvents = false;
        presence.stopBeating();
        reader.stop();
        if (partitions != null) {
            partitions.close();
        }
    }
}
