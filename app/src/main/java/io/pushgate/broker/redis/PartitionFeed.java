package io.pushgate.broker.redis;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.publisher.Mono;

/**
 * What this node receives of the partitioned log: the channels of the addresses its sessions read, on
 * one pub/sub connection (sharded pub/sub on Redis Cluster, one connection per master), and only those
 * (see {@code docs/partitioned-log.md}).
 *
 * <p><b>Guarantees.</b> Every entry published on a channel this node holds, from the moment
 * {@link #hold} completes until the channel is released, reaches the {@link Receiver} once, in its
 * partition's order, or the receiver is told the partition {@link Receiver#lost lost} entries. Pub/sub
 * loses messages only when its connection drops; the client then subscribes again, and a confirmation of
 * a channel this feed already held is how the feed knows: it reads the partition's stream from the last
 * number it received, holding what arrives live meanwhile, and hands on the entries of its channels that
 * it had not received. If the stream no longer holds that number, the partition lost entries.
 *
 * <p>The receiver is called under the partition's lock, from Redis client threads: it must not block.
 */
final class PartitionFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    private static final int RECOVER_COUNT = 1000;

    interface Receiver {
        /** An entry of a channel this node holds, after every earlier one of its partition this node received. */
        void received(int partition, LogEntry entry);

        /**
         * Entries of the partition may be missing here: the sessions that read it must be told (reset).
         *
         * @param epoch    the partition's epoch from now on
         * @param position where the partition's entries go on from: the next one handed on is numbered after it
         * @param newEpoch the epoch changed: every position of the old one, cursors and what sessions were
         *                 welcomed at, means nothing in it
         */
        void lost(int partition, String epoch, long position, boolean newEpoch);
    }

    /** A channel this node holds: how many hold it, and when its subscription took effect. */
    private static final class Held {
        final int partition;
        int refs;
        /** Completes once Redis confirmed the subscription; replayed to every later holder. */
        final Mono<Void> subscribed;
        /** Bumped by every release that reached zero, so a stale linger does not unsubscribe a channel held again. */
        long generation;

        Held(int partition, Mono<Void> subscribed) {
            this.partition = partition;
            this.subscribed = subscribed;
        }
    }

    /** A partition's delivery state; guarded by itself. */
    private static final class Part {
        /**
         * Whether {@link PartitionLog#received} is a position this node has been receiving from: set by the
         * first {@link #hold} in the partition. Before it there is nothing to recover.
         */
        boolean started;
        /** A drop was noticed before the partition started: recover once it has. */
        boolean recoverWhenStarted;
        boolean recovering;
        boolean recoverAgain;
        /**
         * The last number a recovery handed on: entries up to it may still arrive live afterwards, and are
         * the same entries again, not numbers used twice.
         */
        long recoveredUpTo;
        /** What arrived live while recovering, by sequence number. */
        final TreeMap<Long, PartitionLog.Published> held = new TreeMap<>();
    }

    private final PartitionLayout layout;
    private final List<PartitionLog> logs;
    private final ReactiveStringRedisTemplate redis;
    private final Receiver receiver;
    private final Duration linger;
    private final Duration timeout;
    private final RedisSettings settings;
    private final Part[] parts;
    /** Guarded by itself. */
    private final Map<String, Held> channels = new HashMap<>();
    /** How many of {@link #channels} each partition has, so a connect need not count them; guarded by {@link #channels}. */
    private final int[] heldPerPartition;
    /** Channels Redis confirmed on the current or an earlier connection; guarded by {@link #channels}. */
    private final Map<String, Boolean> confirmed = new HashMap<>();
    private final boolean sharded;
    /** Set once the pub/sub connection is made; Lettuce keeps it connected from then on. */
    private volatile @org.jspecify.annotations.Nullable StatefulRedisPubSubConnection<String, String> connection;
    /**
     * The connection, made on a thread that may block (Lettuce connects synchronously) when first needed, and
     * again at the next need when Redis could not be reached: a node starts with Redis down.
     */
    private final Mono<StatefulRedisPubSubConnection<String, String>> connected;
    private final reactor.core.@org.jspecify.annotations.Nullable Disposable topologyChanges;
    private final AbstractRedisClient client;
    private volatile boolean closed;
    /**
     * Subscribes again, by partition, whenever a pub/sub connection (re)connects. Lettuce subscribes again
     * by itself, but on Redis Cluster it sends a master's sharded channels in one {@code SSUBSCRIBE}, which
     * Redis refuses when they span slots; a partition's channels share one slot, so this one is accepted.
     * The confirmations it brings make the feed recover what the drop lost ({@link #confirmedBy}).
     */
    private final Set<RedisChannelHandler<?, ?>> connectedOnce =
            java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
    private final RedisConnectionStateListener reconnects = new RedisConnectionStateListener() {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
            // a handler's first connect is not a reconnect (on Redis Cluster a master's connection opens lazily)
            if (handler instanceof StatefulRedisPubSubConnection<?, ?> && !connectedOnce.add(handler)) {
                subscribeAgain();
            }
        }
    };

    PartitionFeed(AbstractRedisClient client, PartitionLayout layout, List<PartitionLog> logs,
                  ReactiveStringRedisTemplate redis, Receiver receiver, Duration linger, RedisSettings settings) {
        this.layout = layout;
        this.logs = logs;
        this.redis = redis;
        this.receiver = receiver;
        this.linger = linger;
        this.settings = settings;
        this.timeout = settings.timeout();
        this.client = client;
        this.heldPerPartition = new int[layout.count()];
        this.parts = new Part[layout.count()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = new Part();
            logs.get(i).taker = this::takeEpoch;
        }
        if (!(client instanceof RedisClusterClient) && !(client instanceof RedisClient)) {
            throw new IllegalArgumentException("unsupported Redis client " + client.getClass().getName());
        }
        this.sharded = client instanceof RedisClusterClient;
        this.connected = Mono.fromCallable(this::connect).subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic())
                .cache(c -> Duration.ofNanos(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO);
        client.addListener(reconnects);
        if (sharded) {
            // a master that died is replaced by its replica: the partition's sharded subscriptions were on the dead
            // master's connection, and no connection to the promoted one drops and comes back to say so. The
            // channels are subscribed again where the slots are now, and the confirmations make each partition
            // recover what the switch lost.
            this.topologyChanges = client.getResources().eventBus().get()
                    .filter(e -> e instanceof io.lettuce.core.cluster.event.ClusterTopologyChangedEvent)
                    .subscribe(e -> subscribeAgain(), e -> log.debug("Stopped following the cluster's topology: {}", e.toString()));
        } else {
            this.topologyChanges = null;
        }
    }

    private StatefulRedisPubSubConnection<String, String> connect() {
        StatefulRedisPubSubConnection<String, String> made;
        if (client instanceof RedisClusterClient cluster) {
            StatefulRedisClusterPubSubConnection<String, String> c = cluster.connectPubSub();
            c.setNodeMessagePropagation(true); // sharded messages arrive on the masters' connections
            c.addListener(new RedisClusterPubSubAdapter<>() {
                @Override
                public void smessage(RedisClusterNode node, String channel, String message) {
                    arrived(channel, message);
                }

                @Override
                public void ssubscribed(RedisClusterNode node, String channel, long count) {
                    confirmedBy(channel);
                }
            });
            made = c;
        } else {
            made = ((RedisClient) client).connectPubSub();
            made.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    arrived(channel, message);
                }

                @Override
                public void subscribed(String channel, long count) {
                    confirmedBy(channel);
                }
            });
        }
        if (closed) {
            made.closeAsync();
            throw new IllegalStateException("the feed is closed");
        }
        connection = made;
        boolean heldBefore;
        synchronized (channels) {
            heldBefore = !channels.isEmpty();
        }
        if (heldBefore) { // held while Redis could not be reached: their subscriptions failed
            subscribeAgain();
        }
        return made;
    }

    private void subscribeAgain() {
        java.util.Set<Integer> partitions = new java.util.TreeSet<>();
        synchronized (channels) {
            channels.values().forEach(held -> partitions.add(held.partition));
        }
        partitions.forEach(k -> subscribeAgain(k, 0));
    }

    /**
     * Subscribes the partition's held channels again in one command; tried again until it is accepted (a
     * Redis that refuses it now, for a moment or an ACL, would otherwise leave the channels silent on a
     * connection that stays up). Each try takes the channels held then, so a released one is not revived.
     */
    private void subscribeAgain(int k, int attempt) {
        StatefulRedisPubSubConnection<String, String> c = connection;
        if (c == null || closed) {
            return;
        }
        String[] names = heldIn(k).stream().map(channel -> layout.prefix(k) + channel).toArray(String[]::new);
        if (names.length == 0) {
            return;
        }
        (sharded ? c.reactive().ssubscribe(names) : c.reactive().subscribe(names)).subscribe(null, e -> {
            log.debug("Could not subscribe again to partition {} (try {}): {}", k, attempt + 1, e.toString());
            Mono.delay(RETRY.multipliedBy(1L << Math.min(attempt, 3))).subscribe(x -> subscribeAgain(k, attempt + 1));
        });
    }

    /**
     * Takes an epoch a sync of partition {@code k} answered. A new one (Redis lost the partition's data, or
     * it went back) voids every cursor of the old one, so the partition's sessions are told, in order with
     * the entries handed on: after those of the old epoch, before those of the new one.
     */
    private void takeEpoch(int k, String epoch, long base) {
        Part part = parts[k];
        synchronized (part) {
            PartitionLog p = logs.get(k);
            if (p.adopt(epoch)) {
                log.warn("Partition {} starts epoch {}: Redis lost data; its sessions here get a reset", k, epoch);
                p.restartAt(base);
                lost(k, base, true);
            }
        }
    }

    /** Whether the feed uses sharded pub/sub, so the append script must {@code SPUBLISH}. */
    boolean sharded() {
        return sharded;
    }

    /**
     * Holds the channel (relative to partition {@code k}'s prefix) for one more user, counted at once, who
     * calls {@link #release} once, whatever the answer (a failed subscription stays held: it is made again by
     * the next holder and after a reconnect).
     *
     * @return once the subscription is in effect: every later entry of the channel reaches this feed
     */
    Mono<Void> hold(int k, String channel) {
        return subscribed(k, channel).timeout(timeout);
    }

    private Mono<Void> subscribed(int k, String channel) {
        String full = layout.prefix(k) + channel;
        Held held;
        boolean firstInPartition = false;
        synchronized (channels) {
            held = channels.get(full);
            if (held == null) {
                firstInPartition = heldPerPartition[k] == 0;
                // the first channel of a partition here: nothing of the partition is on its way to this node,
                // so where the partition stands before the subscription is where a recovery may start
                Mono<Void> before = firstInPartition ? readFloor(k) : Mono.empty();
                // a failed subscription is not kept: the next holder subscribes again
                held = new Held(k, before.then(subscribe(full)).cache(done -> Duration.ofNanos(Long.MAX_VALUE),
                        error -> Duration.ZERO, () -> Duration.ofNanos(Long.MAX_VALUE)));
                channels.put(full, held);
                heldPerPartition[k]++;
            }
            held.refs++;
            held.generation++;
        }
        return held.subscribed
                .doOnSuccess(x -> {
                    Part part = parts[k];
                    boolean recoverNow = false;
                    synchronized (part) {
                        if (!part.started) {
                            part.started = true;
                            recoverNow = part.recoverWhenStarted;
                            part.recoverWhenStarted = false;
                        }
                    }
                    if (recoverNow) {
                        recover(k);
                    }
                });
    }

    private Mono<Void> readFloor(int k) {
        PartitionLog p = logs.get(k);
        return redis.opsForValue().get(p.keys.seq()).map(Long::parseLong).doOnNext(seq -> {
            synchronized (parts[k]) {
                p.floor = Math.max(p.floor, seq);
            }
        }).then();
    }

    /** One user fewer; the last one's release unsubscribes after the linger, unless it is held again. */
    void release(int k, String channel) {
        String full = layout.prefix(k) + channel;
        long generation;
        synchronized (channels) {
            Held held = channels.get(full);
            if (held == null || --held.refs > 0) {
                return;
            }
            generation = ++held.generation;
        }
        Mono.delay(linger).subscribe(x -> {
            synchronized (channels) {
                Held held = channels.get(full);
                if (held == null || held.refs > 0 || held.generation != generation) {
                    return;
                }
                channels.remove(full);
                heldPerPartition[held.partition]--;
                confirmed.remove(full);
            }
            unsubscribe(full).subscribe(null, e -> log.debug("Could not unsubscribe {}: {}", full, e.toString()));
        });
    }

    /** Channels held now, for tests. */
    int heldChannels() {
        synchronized (channels) {
            return channels.size();
        }
    }

    private Mono<Void> subscribe(String channel) {
        return connected.flatMap(c -> sharded ? c.reactive().ssubscribe(channel) : c.reactive().subscribe(channel));
    }

    private Mono<Void> unsubscribe(String channel) {
        StatefulRedisPubSubConnection<String, String> c = connection;
        if (c == null) {
            return Mono.empty();
        }
        return sharded ? c.reactive().sunsubscribe(channel) : c.reactive().unsubscribe(channel);
    }

    // ---- receiving -------------------------------------------------------------------------------------

    /** A confirmation of a channel this feed already held means the connection dropped and came back. */
    private void confirmedBy(String channel) {
        boolean again;
        synchronized (channels) {
            if (!channels.containsKey(channel)) {
                return;
            }
            again = confirmed.put(channel, Boolean.TRUE) != null;
        }
        int k = layout.partitionOfChannel(channel);
        if (again && k >= 0) {
            recover(k);
        }
    }

    private void arrived(String channel, String payload) {
        int k = layout.partitionOfChannel(channel);
        if (k < 0) {
            return;
        }
        PartitionLog.Published published = PartitionLog.Published.parse(payload);
        if (published == null) {
            log.warn("Ignoring a malformed entry on {}", channel);
            return;
        }
        Part part = parts[k];
        synchronized (part) {
            if (part.recovering) {
                part.held.put(published.entry().seq(), published);
            } else {
                hand(k, published);
            }
        }
    }

    /**
     * Caller holds the partition's lock. Entries come in the partition's order on one connection, so a
     * number seen before is either the same entry again (sent on two of this node's channels: it comes
     * twice in a row) or a number used twice: Redis went back (a replica that lagged was promoted) and
     * numbered on from there. Then, and when the partition has a new epoch, the partition's sessions are told
     * they lost entries, and a number used twice makes this node start a new epoch, so no cursor names two
     * messages.
     */
    private void hand(int k, PartitionLog.Published published) {
        PartitionLog p = logs.get(k);
        LogEntry entry = published.entry();
        if (!published.epoch().equals(p.epoch)) {
            if (p.leftEpoch(published.epoch())) {
                return; // of an epoch this node left, still on its way
            }
            log.warn("Partition {} has a new epoch {}: Redis lost data; its sessions here get a reset", k, published.epoch());
            p.adopt(published.epoch());
            p.restartAt(entry.seq() - 1);
            lost(k, entry.seq() - 1, true);
        } else if (entry.seq() < p.received && entry.seq() > parts[k].recoveredUpTo) {
            log.warn("Partition {} numbered entry {} again after {}: Redis went back in time; its sessions here get a"
                    + " reset and the partition a new epoch", k, entry.seq(), p.received);
            lost(k, p.received, false);
            p.resync(redis, settings, true).subscribe(null, e -> log.debug("Partition {} could not resync: {}", k, e.toString()));
            return;
        } else if (entry.seq() <= p.received) {
            return; // the same entry again: sent on two channels, or recovered before it arrived live
        }
        p.received = entry.seq();
        p.hashedSeq = entry.seq();
        p.receivedHash = entry.value().hashCode();
        try {
            receiver.received(k, entry);
        } catch (RuntimeException e) {
            log.error("Skipping entry {} of partition {} that this node cannot apply", entry.seq(), k, e);
        }
    }

    /** Caller holds the partition's lock. */
    /** @param newEpoch the partition's epoch changed: positions of the old one mean nothing in it */
    private void lost(int k, long position, boolean newEpoch) {
        try {
            receiver.lost(k, logs.get(k).epoch, position, newEpoch);
        } catch (RuntimeException e) {
            log.error("Partition {}'s sessions could not be told they lost entries", k, e);
        }
    }

    // ---- recovering after the connection dropped -----------------------------------------------------

    private void recover(int k) {
        Part part = parts[k];
        long from;
        synchronized (part) {
            if (!part.started) {
                part.recoverWhenStarted = true;
                return;
            }
            if (part.recovering) {
                part.recoverAgain = true;
                return;
            }
            part.recovering = true;
            PartitionLog p = logs.get(k);
            from = Math.max(p.received, p.floor);
        }
        read(k, from);
    }

    /** Reads the partition after a drop; while Redis cannot be read, tries again, holding what arrives live. */
    private void read(int k, long from) {
        Recovered into = new Recovered(from);
        // the sequence first, then the stream: numbered by then and not in the stream after means trimmed,
        // while an entry appended after the read of the sequence is no loss (it arrives live)
        redis.opsForValue().get(logs.get(k).keys.seq()).map(Long::parseLong).defaultIfEmpty(0L)
                .flatMap(head -> readFrom(k, from, true, heldIn(k), into).map(r -> {
                    if (head < from) { // numbered before is not numbered now: Redis lost data, or went back
                        r.lost = true;
                        r.wentBack = true;
                    } else if (r.empty) { // entries numbered after the position are gone, trimmed unread
                        r.lost = head > r.last;
                        r.last = Math.max(r.last, head);
                    }
                    return r;
                }))
                .timeout(timeout.multipliedBy(4))
                .subscribe(done -> finishRecovery(k, into), error -> {
                    log.debug("Partition {} could not be read after its pub/sub connection dropped: {}", k, error.toString());
                    if (!closed) {
                        Mono.delay(RETRY).subscribe(x -> read(k, from));
                    }
                });
    }

    private static final Duration RETRY = Duration.ofMillis(250);

    /** What a recovery read: the entries on this node's channels, how far it read, whether some were gone. */
    private static final class Recovered {
        final List<PartitionLog.Published> entries = new ArrayList<>();
        long last;
        boolean lost;
        /** The stream holds another entry under the last number received: Redis went back in time. */
        boolean wentBack;
        /** The stream held nothing from the position on: whether entries were lost, the sequence read before says. */
        boolean empty;

        Recovered(long from) {
            this.last = from;
        }
    }

    /**
     * Pages through the partition's stream from {@code from} (inclusive, so the first page shows whether the
     * stream still reaches back to it), keeping the entries on {@code mine}.
     */
    private Mono<Recovered> readFrom(int k, long from, boolean first, Set<String> mine, Recovered into) {
        Range<String> range = Range.rightUnbounded(first
                ? Range.Bound.inclusive(from + "-0") : Range.Bound.exclusive(from + "-0"));
        return redis.opsForStream().range(logs.get(k).keys.log(), range, Limit.limit().count(RECOVER_COUNT))
                .collectList()
                .flatMap(page -> {
                    PartitionLog p = logs.get(k);
                    if (first && !page.isEmpty() && seq(page.get(0)) > from + 1) {
                        into.lost = true; // what came between is trimmed, and may have been this node's
                    }
                    if (first && from > 0 && p.hashedSeq == from && !page.isEmpty() && seq(page.get(0)) == from
                            && !sameEntry(page.get(0), p.epoch, p.receivedHash)) {
                        into.lost = true; // the number names another entry now: Redis went back
                        into.wentBack = true;
                    }
                    into.empty = first && page.isEmpty();
                    for (MapRecord<String, Object, Object> record : page) {
                        long seq = seq(record);
                        into.last = Math.max(into.last, seq);
                        Map<Object, Object> f = record.getValue();
                        if (seq > from && onAny(String.valueOf(f.get("c")), mine)) {
                            into.entries.add(new PartitionLog.Published(String.valueOf(f.get("e")),
                                    new LogEntry(seq, String.valueOf(f.get("k")), String.valueOf(f.get("v")))));
                        }
                    }
                    return page.size() < RECOVER_COUNT ? Mono.just(into) : readFrom(k, into.last, false, mine, into);
                });
    }

    private void finishRecovery(int k, Recovered recovered) {
        Part part = parts[k];
        boolean again;
        synchronized (part) {
            if (recovered.lost) {
                log.warn("Partition {} no longer holds entries this node missed while its pub/sub connection was down:"
                        + " the sessions that read it get a reset", k);
                lost(k, recovered.last, false);
            }
            if (recovered.wentBack) {
                logs.get(k).resync(redis, settings, true)
                        .subscribe(null, e -> log.debug("Partition {} could not resync: {}", k, e.toString()));
            } else {
                for (PartitionLog.Published entry : recovered.entries) {
                    hand(k, entry);
                }
            }
            PartitionLog p = logs.get(k);
            part.recoveredUpTo = Math.max(part.recoveredUpTo, p.received);
            for (PartitionLog.Published entry : part.held.values()) {
                hand(k, entry);
            }
            part.held.clear();
            // everything up to the last entry read is accounted for: the next recovery starts there
            p.floor = Math.max(p.floor, recovered.last);
            part.recovering = false;
            again = part.recoverAgain;
            part.recoverAgain = false;
        }
        if (again) {
            recover(k);
        }
    }

    private Set<String> heldIn(int k) {
        String prefix = layout.prefix(k);
        Set<String> mine = new HashSet<>();
        synchronized (channels) {
            for (Map.Entry<String, Held> e : channels.entrySet()) {
                if (e.getValue().partition == k) {
                    mine.add(e.getKey().substring(prefix.length()));
                }
            }
        }
        return mine;
    }

    private static boolean onAny(String channels, Set<String> mine) {
        for (String channel : LogEntry.splitItems(channels)) {
            if (mine.contains(channel)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameEntry(MapRecord<String, Object, Object> record, String epoch, int valueHash) {
        Map<Object, Object> f = record.getValue();
        return epoch.equals(String.valueOf(f.get("e"))) && String.valueOf(f.get("v")).hashCode() == valueHash;
    }

    private static long seq(MapRecord<String, Object, Object> record) {
        return LogReader.seq(record.getId().getValue());
    }

    @Override
    public void close() {
        closed = true;
        client.removeListener(reconnects);
        if (topologyChanges != null) {
            topologyChanges.dispose();
        }
        StatefulRedisPubSubConnection<String, String> c = connection;
        if (c != null) {
            c.closeAsync();
        }
    }
}
