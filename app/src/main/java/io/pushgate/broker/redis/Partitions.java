package io.pushgate.broker.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import io.pushgate.core.BrokerRole;
import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.ClusterEntry;
import io.pushgate.core.Cursor;
import io.pushgate.core.Prepared;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Session;
import io.pushgate.core.SessionEvents;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * This node on a partitioned cluster log ({@code pushgate.redis.partitions} above 1; see
 * {@code docs/partitioned-log.md}): messages go to the partitions of the sessions they reach
 * ({@link PartitionedPublisher}), and this node receives, over pub/sub, only the channels of its own
 * sessions ({@link PartitionFeed}): a uid's while it holds a session of the uid, a partition's shared one
 * while it holds any session there. Presence, memberships and kicks stay on the control log that every node
 * reads ({@link LogReader}).
 *
 * <p><b>Guarantees.</b> A session's messages come in its partition's order, each once, with the copy's
 * partition cursor as its id: the node applies each entry it receives after the ones before it
 * ({@link BrokerRole#applyPartitioned}). A session's welcome, resume and polls are prepared here first
 * ({@link #prepare}): its channels are subscribed before the partition's position is read, so everything
 * after that position reaches this node live, and what came before it and after the client's cursor is read
 * from the partition's stream. A cursor the stream no longer reaches back to, of another epoch, or with more
 * to replay than {@link #MAX_REPLAY_SCAN} entries, is a {@code reset}.
 */
final class Partitions implements PartitionFeed.Receiver, Prepared.Preparer, SessionEvents, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    /** Entries of a partition a resume reads at most; past it the client gets a reset (reload its state). */
    static final int MAX_REPLAY_SCAN = 20_000;
    private static final int PAGE = 500;
    /**
     * How long a channel stays subscribed after its last session left: a reconnecting tab does not churn
     * subscriptions, and a session prepared here connects well within it.
     */
    static final Duration LINGER = Duration.ofSeconds(10);

    private final BrokerRole node;
    private final ReactiveStringRedisTemplate redis;
    private final RedisSettings settings;
    private final LogCodec codec;
    private final Clock clock;
    private final PartitionLayout layout;
    private final List<PartitionLog> logs = new ArrayList<>();
    private final PartitionFeed feed;
    private final PartitionedPublisher publisher;

    Partitions(BrokerRole node, ReactiveStringRedisTemplate redis, AbstractRedisClient client, RedisSettings settings,
               LogCodec codec, ClusterLink link, Clock clock, int heldPerUid, int heldMessages) {
        this.node = node;
        this.redis = redis;
        this.settings = settings;
        this.codec = codec;
        this.clock = clock;
        this.layout = new PartitionLayout(settings.prefix(), settings.partitions());
        boolean sharded = client instanceof RedisClusterClient;
        int heldUids = Math.max(1, heldMessages / settings.partitions());
        for (int k = 0; k < layout.count(); k++) {
            logs.add(new PartitionLog(k, layout, redis, settings, node.limits(), link, sharded, heldPerUid, heldUids));
        }
        this.feed = new PartitionFeed(client, layout, logs, redis, this, LINGER, settings);
        this.publisher = new PartitionedPublisher(node, layout, logs, codec);
    }

    /** Puts the node's sessions in partitions; before any session connects. */
    void start() {
        node.partitionSessions(layout.count(), layout::of, this);
    }

    /**
     * Takes every partition's epoch: the one Redis has, or a new one where Redis has none or lost data (its
     * sequence behind what this node received), which resets that partition's sessions here.
     * @return once all are taken
     */
    Mono<Void> sync() {
        return Flux.fromIterable(logs).flatMap(p -> p.sync(redis, LogReader.freshEpoch(), settings)).then();
    }

    private Mono<PartitionLog> synced(PartitionLog p) {
        if (!PartitionLog.NONE.equals(p.epoch)) {
            return Mono.just(p);
        }
        return p.sync(redis, LogReader.freshEpoch(), settings).thenReturn(p).onErrorMap(
                e -> !(e instanceof BrokerUnavailableException), e -> new BrokerUnavailableException("Redis cannot be reached", e));
    }

    Mono<List<PublishResult>> publish(List<Publication> publications, long ts) {
        return publisher.publish(publications, ts);
    }

    // ---- receiving ----------------------------------------------------------------------------------------

    /**
     * Writes a membership change of a uid's sessions, which the control log has taken, to the uid's partition
     * too, on its channel: every node holding a session of the uid applies it before any group copy published
     * after it, which the control log alone, read apart from the partition, could not promise. Best effort:
     * the control log's copy reaches every node anyway, only maybe after such a copy.
     */
    Mono<Void> membership(String uid, LogEntry change) {
        int k = layout.of(uid);
        return logs.get(k).appender.appendAll(List.of(change.kind(),
                        LogEntry.items(List.of(PartitionLayout.uidChannel(uid))), change.value()))
                .then()
                .onErrorResume(e -> {
                    log.debug("A membership change of {} reaches its partition {} only through the control log: {}", uid, k,
                            e.toString());
                    return Mono.empty();
                });
    }

    @Override
    public void received(int partition, LogEntry entry) {
        switch (entry.kind()) {
            case LogEntry.JOIN_UID, LogEntry.LEAVE_UID, LogEntry.JOIN_CLIENT, LogEntry.LEAVE_CLIENT -> {
                node.applyMembership(codec.decode(entry));
                return;
            }
            case LogEntry.MESSAGE -> {
            }
            default -> {
                return;
            }
        }
        ClusterEntry.Message m = (ClusterEntry.Message) codec.decode(entry);
        String epoch = logs.get(partition).epoch;
        // held for offline uids in Redis (the append script), not on every node
        node.applyPartitioned(partition, new Cursor(epoch, entry.seq(), m.ts()), m.publication(), List.of());
    }

    @Override
    public void lost(int partition, String epoch, long position, boolean newEpoch) {
        node.lostPartition(partition, new Cursor(epoch, position, clock.millis()), newEpoch);
    }

    // ---- this node's sessions hold their channels --------------------------------------------------------

    @Override
    public void connected(Session session) {
        int k = layout.of(session.uid());
        hold(k, PartitionLayout.uidChannel(session.uid()));
        hold(k, PartitionLayout.SHARED_CHANNEL);
    }

    @Override
    public void disconnected(Session session) {
        int k = layout.of(session.uid());
        feed.release(k, PartitionLayout.uidChannel(session.uid()));
        feed.release(k, PartitionLayout.SHARED_CHANNEL);
    }

    /**
     * Already subscribed when the session was prepared; made again by the feed if it failed meanwhile. The
     * hold is counted here, at once; waiting for the subscription runs on another thread, because this one
     * holds the session's shard and the hub (a session event) and the feed's partition lock must never be
     * taken under them: the feed holds it while the node delivers, which waits for the shards.
     */
    private void hold(int k, String channel) {
        feed.hold(k, channel).subscribeOn(Schedulers.parallel()).subscribe(null, e -> log.debug(
                "Could not subscribe {} of partition {}: {}", channel, k, e.toString()));
    }

    // ---- preparing a session -----------------------------------------------------------------------------

    /** One hold of a channel for a preparation, released once whatever happens to it. */
    private final class Hold {
        final int k;
        final String channel;
        final AtomicBoolean released = new AtomicBoolean();

        Hold(int k, String channel) {
            this.k = k;
            this.channel = channel;
        }

        Mono<Void> subscribed() {
            return feed.hold(k, channel).doOnCancel(this::release);
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                feed.release(k, channel);
            }
        }
    }

    /**
     * Subscribes the uid's channel and its partition's shared one (held by the session once it connects,
     * and for {@link #LINGER} after this), then reads where the partition stands and, for a cursor, the
     * partition's entries after it that the session may read.
     */
    @Override
    public Mono<Prepared> prepare(String uid, @Nullable Cursor after) {
        int k = layout.of(uid);
        String uidChannel = PartitionLayout.uidChannel(uid);
        return Mono.defer(() -> {
            Hold a = new Hold(k, uidChannel);
            Hold b = new Hold(k, PartitionLayout.SHARED_CHANNEL);
            return Mono.whenDelayError(a.subscribed(), b.subscribed())
                    .then(synced(logs.get(k)))
                    .flatMap(p -> read(p, uid, uidChannel, after))
                    .doFinally(signal -> {
                        a.release();
                        b.release();
                    });
        }).onErrorMap(e -> !(e instanceof BrokerUnavailableException),
                e -> new BrokerUnavailableException("Redis cannot be reached", e));
    }

    private Mono<Prepared> read(PartitionLog p, String uid, String uidChannel, @Nullable Cursor after) {
        long localMark = node.localSeq(); // before the position: every later entry is applied after it
        Mono<Long> position = redis.opsForValue().get(p.keys.seq()).map(Long::parseLong).defaultIfEmpty(0L)
                .timeout(settings.timeout());
        if (after == null) {
            return Mono.zip(position, p.takeHeld(redis, uid, settings)).map(t -> {
                String epoch = p.epoch;
                List<Prepared.Logged> held = new ArrayList<>(t.getT2().size());
                for (LogEntry entry : t.getT2()) {
                    Prepared.Logged logged = logged(epoch, entry);
                    if (logged != null) {
                        held.add(logged);
                    }
                }
                return new Prepared(p.index, start(epoch, t.getT1()), localMark, List.of(), false, held);
            });
        }
        return position.flatMap(head -> {
            String epoch = p.epoch;
            Cursor start = start(epoch, head);
            if (!after.epoch().equals(epoch) || after.seq() > head || head - after.seq() > MAX_REPLAY_SCAN) {
                return Mono.just(reset(p, start, localMark));
            }
            List<Prepared.Logged> logged = new ArrayList<>();
            return page(p, after.seq(), head, true, uidChannel, logged)
                    .map(whole -> whole ? new Prepared(p.index, start, localMark, logged, false, List.of())
                            : reset(p, start, localMark));
        });
    }

    private Cursor start(String epoch, long seq) {
        return new Cursor(epoch, seq, clock.millis());
    }

    private static Prepared reset(PartitionLog p, Cursor start, long localMark) {
        return new Prepared(p.index, start, localMark, List.of(), true, List.of());
    }

    /**
     * Reads the stream from {@code from} (the first page inclusive, to see where the stream starts) up to
     * {@code head}, keeping the messages on the uid's channel or the shared one. @return whether the stream
     * held all of it: it starts no later than just after {@code from}
     */
    private Mono<Boolean> page(PartitionLog p, long from, long head, boolean first, String uidChannel,
                               List<Prepared.Logged> into) {
        if (from >= head && !first) {
            return Mono.just(true);
        }
        Range<String> range = Range.closed((first ? from : from + 1) + "-0", head + "-0");
        return redis.opsForStream().range(p.keys.log(), range, Limit.limit().count(PAGE)).collectList()
                .timeout(settings.timeout())
                .flatMap(records -> {
                    if (first) {
                        // nothing after the cursor is missing when the stream starts at or just after it (its
                        // own entry may be gone, or never was one: an epoch's base, where a reset points)
                        long firstSeq = records.isEmpty() ? head + 1 : LogReader.seq(records.get(0).getId().getValue());
                        if (firstSeq > from + 1) {
                            return Mono.just(false);
                        }
                    }
                    long last = from;
                    for (MapRecord<String, Object, Object> record : records) {
                        long seq = LogReader.seq(record.getId().getValue());
                        last = Math.max(last, seq);
                        Map<Object, Object> f = record.getValue();
                        if (seq <= from || !p.epoch.equals(String.valueOf(f.get("e")))) {
                            continue;
                        }
                        String channels = String.valueOf(f.get("c"));
                        if (LogEntry.splitItems(channels).stream().noneMatch(
                                c -> c.equals(uidChannel) || c.equals(PartitionLayout.SHARED_CHANNEL))) {
                            continue;
                        }
                        Prepared.Logged logged = logged(p.epoch, new LogEntry(seq, String.valueOf(f.get("k")),
                                String.valueOf(f.get("v"))));
                        if (logged != null) {
                            into.add(logged);
                        }
                    }
                    return records.size() < PAGE || last >= head ? Mono.just(true)
                            : page(p, last, head, false, uidChannel, into);
                });
    }

    /** A message entry as the core takes it; {@code null} for another kind or one that cannot be read. */
    private Prepared.@Nullable Logged logged(String epoch, LogEntry entry) {
        if (!LogEntry.MESSAGE.equals(entry.kind())) {
            return null;
        }
        try {
            ClusterEntry.Message m = (ClusterEntry.Message) codec.decode(entry);
            return new Prepared.Logged(new Cursor(epoch, entry.seq(), m.ts()), m.publication());
        } catch (RuntimeException e) {
            log.warn("Skipping entry {} this node cannot read in a replay: {}", entry.seq(), e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        feed.close();
    }
}
