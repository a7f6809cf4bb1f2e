package io.pushgate.broker.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.pushgate.core.BrokerRole;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.stream.ByteBufferRecord;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Reads the cluster log in order and hands every entry to the node ({@link BrokerRole#apply}), on a
 * connection of its own ({@code XREAD BLOCK}). One loop, so no entry is applied while a snapshot is
 * taken: it syncs with the cluster (epoch, history, presence) when out of step, reloads presence after
 * a gap, and otherwise reads on from the last entry it applied.
 *
 * <p>Every sequence number is taken by exactly one log entry (the scripts INCR and XADD together), so
 * the entries a node applies are consecutive. One further on than the next means the entries between
 * were trimmed from the log while this node was not reading: never a silent gap, the node is told it
 * lost them ({@link BrokerRole#lostEntries}, its sessions get a reset) and presence is reloaded.
 */
final class LogReader {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    private static final int READ_COUNT = 1000;
    /** How long one read waits for new entries; also how soon the read loop notices it must resync. */
    private static final Duration READ_BLOCK = Duration.ofSeconds(1);
    private static final String EPOCH_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final BrokerRole node;
    private final ReactiveStringRedisTemplate redis;
    private final ReactiveRedisConnectionFactory factory;
    private final RedisKeys keys;
    private final RedisSettings settings;
    private final ClusterLink link;
    private final NodePresence presence;
    private final LogCodec codec;
    private final String self;
    private final CountDownLatch startedLatch = new CountDownLatch(1);

    /** Whether the node has caught up with the cluster once; from then on it only reads on or resyncs. */
    private volatile boolean started;
    /** Whether log entries were missed since presence was last loaded from the session hashes. */
    private volatile boolean presenceStale;
    /** The last log entry applied; the next read starts after it. */
    private volatile long logPos;
    /** The whole log as read at start-up, until the epoch is known and its part of it becomes history. */
    private List<LogEntry> backfilled = List.of();
    private @Nullable ReactiveRedisConnection reader;
    private @Nullable Disposable loop;

    LogReader(BrokerRole node, ReactiveStringRedisTemplate redis, ReactiveRedisConnectionFactory factory, RedisKeys keys,
              RedisSettings settings, ClusterLink link, NodePresence presence, LogCodec codec) {
        this.node = node;
        this.redis = redis;
        this.factory = factory;
        this.keys = keys;
        this.settings = settings;
        this.link = link;
        this.presence = presence;
        this.codec = codec;
        this.self = node.nodeId();
    }

    /**
     * Starts the loop. It may never end while the node runs: every error, thrown or signalled, counts as
     * Redis down and is retried.
     */
    void start() {
        loop = Mono.defer(this::step)
                .onErrorResume(error -> link.down(error).then(Mono.delay(Duration.ofMillis(250)).then()))
                .repeat(() -> !link.stopped).subscribe();
    }

    /** @return whether the node caught up with the cluster within {@code atMost} */
    boolean awaitStarted(Duration atMost) {
        try {
            return startedLatch.await(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops reading at once and closes the reading connection. */
    void stop() {
        if (loop != null) {
            loop.dispose();
        }
        ReactiveRedisConnection connection = reader;
        if (connection != null) {
            connection.closeLater().subscribe(null, e -> { });
        }
    }

    private Mono<Void> step() {
        if (link.stopped) {
            return Mono.empty();
        }
        Mono<Void> work = !link.synced ? sync() : presenceStale ? reloadPresence() : readOnce();
        return work.onErrorResume(error -> link.down(error).then(Mono.delay(Duration.ofMillis(250)).then()));
    }

    /**
     * After a gap: the missed entries may have changed presence and memberships, so they are read again
     * from the session hashes and this node restates its own. Runs in the read loop, between reads, while
     * the node stays in service (publishes go on: they do not depend on what was missed).
     */
    private Mono<Void> reloadPresence() {
        presenceStale = false;
        return presence.loadOthers().then(Mono.fromRunnable(presence::restate));
    }

    private Mono<Void> readOnce() {
        StreamReadOptions options = StreamReadOptions.empty().count(READ_COUNT).block(READ_BLOCK);
        StreamOffset<ByteBuffer> offset = StreamOffset.create(bytes(keys.log()), ReadOffset.from(logPos + "-0"));
        return readerConnection().streamCommands().xRead(options, offset)
                .doOnNext(record -> apply(entry(record)))
                .then()
                .timeout(READ_BLOCK.plus(settings.timeout())); // a read stuck on a dead connection counts as Redis down
    }

    private ReactiveRedisConnection readerConnection() {
        ReactiveRedisConnection connection = reader;
        if (connection == null) {
            connection = factory.getReactiveConnection();
            reader = connection;
        }
        return connection;
    }

    /**
     * Catches up with the cluster: takes its epoch and sequence (restoring them if Redis lost them),
     * loads the history from the log on the first run, reloads the other nodes' sessions, and restates
     * this node's.
     */
    private Mono<Void> sync() {
        Mono<Void> first = started ? Mono.empty() : Mono.defer(this::backfill);
        // once started, a new epoch is never the one this node had: its history may not be carried over
        String held = link.epoch;
        String proposed = started ? freshEpoch() : held;
        return redis.execute(Scripts.INIT, List.of(keys.epoch(), keys.seq(), keys.base()),
                        List.of(held, Long.toString(logPos), proposed))
                .next()
                .timeout(settings.timeout())
                .flatMap(answer -> {
                    String clusterEpoch = String.valueOf(answer.get(0));
                    long seq = Long.parseLong(String.valueOf(answer.get(1)));
                    long base = Long.parseLong(String.valueOf(answer.get(2)));
                    if (!clusterEpoch.equals(link.epoch) && started) {
                        log.warn("Redis lost the cluster's data: new history epoch {} (was {}) from sequence number {};"
                                + " node {} resets its sessions and cursors issued before", clusterEpoch, link.epoch, base, self);
                    }
                    if (!started) {
                        return first.then(Mono.fromRunnable(() -> adopt(clusterEpoch, seq, base)));
                    }
                    adopt(clusterEpoch, seq, base);
                    return Mono.empty();
                })
                .then(Mono.defer(presence::loadOthers))
                .then(Mono.fromRunnable(presence::restate))
                .then(Mono.defer(presence::heartbeat))
                .then(Mono.defer(link.onSync))
                .then(Mono.fromRunnable(() -> {
                    link.synced = true;
                    if (!started) {
                        started = true;
                        startedLatch.countDown();
                        log.info("Node {} joined the cluster at log position {}", self, logPos);
                    } else {
                        log.info("Node {} is back in touch with Redis at log position {}", self, logPos);
                    }
                }));
    }

    /**
     * Takes the cluster's epoch. The log of an epoch starts after its {@code base}: entries at or before it
     * belong to an older epoch (a Redis restored from a snapshot keeps them) and are never applied.
     */
    private void adopt(String clusterEpoch, long seq, long base) {
        if (!started) {
            List<LogEntry> current = backfilled.stream().filter(e -> e.seq() > base).toList();
            // what the log no longer holds is missing here: resuming from before it resets
            boolean empty = current.isEmpty();
            node.adopt(clusterEpoch, 0, empty ? seq : current.get(0).seq() - 1);
            logPos = Math.max(logPos, empty ? seq : current.get(current.size() - 1).seq());
            for (LogEntry entry : current) {
                applyBackfilled(entry);
            }
            backfilled = List.of();
        } else if (!clusterEpoch.equals(link.epoch)) {
            // Redis lost data: whatever this node had not read yet is gone, so it vouches for nothing it holds
            node.lostEntries(clusterEpoch, base);
            logPos = base; // the new epoch's entries all come after it, whatever this node had reached before
        }
        link.applied = logPos; // before the epoch: see ClusterLink.applied
        link.epoch = clusterEpoch;
    }

    /** Reads the whole log once, at start-up: its messages become this node's history. */
    private Mono<Void> backfill() {
        List<LogEntry> entries = new ArrayList<>();
        return readRange("-", entries).then(Mono.fromRunnable(() -> backfilled = entries));
    }

    private Mono<Void> readRange(String from, List<LogEntry> into) {
        Range<String> range = from.equals("-") ? Range.unbounded() : Range.rightUnbounded(Range.Bound.exclusive(from));
        return redis.opsForStream().range(keys.log(), range, Limit.limit().count(READ_COUNT))
                .map(LogReader::entry)
                .collectList()
                .flatMap(page -> {
                    into.addAll(page);
                    if (page.size() < READ_COUNT) {
                        return Mono.empty();
                    }
                    return readRange(page.get(page.size() - 1).seq() + "-0", into);
                });
    }

    /** A new history epoch, of the same form as the ones a node's history starts with. */
    static String freshEpoch() {
        StringBuilder id = new StringBuilder(5);
        for (int i = 0; i < 5; i++) {
            id.append(EPOCH_ALPHABET.charAt(RANDOM.nextInt(EPOCH_ALPHABET.length())));
        }
        return id.toString();
    }

    // ---- handing entries to the node -------------------------------------------------------------------

    /** An entry read live: skipped when applied already, applied after telling the node of any gap before it. */
    private void apply(LogEntry entry) {
        if (entry.seq() <= logPos) {
            return;
        }
        if (entry.seq() > logPos + 1) {
            log.warn("Node {} missed log entries {} to {}: they were trimmed from the log while it was cut off;"
                    + " its sessions get a reset", self, logPos + 1, entry.seq() - 1);
            node.lostEntries(link.epoch, entry.seq() - 1);
            presenceStale = true; // reloaded by the read loop after this read
        }
        try {
            node.apply(codec.decode(entry));
        } catch (LogCodec.UnknownKind e) {
            log.warn("Unknown log entry kind {} at {}: is a newer node in the cluster?", entry.kind(), entry.seq());
        } catch (RuntimeException e) {
            log.error("Skipping log entry {} of kind {} that this node cannot apply", entry.seq(), entry.kind(), e);
        }
        logPos = Math.max(logPos, entry.seq());
        link.applied = logPos;
    }

    /** An entry read at start-up; the node takes from it what becomes its history. */
    private void applyBackfilled(LogEntry entry) {
        try {
            node.applyBackfilled(codec.decode(entry));
        } catch (LogCodec.UnknownKind e) {
            log.debug("Unknown log entry kind {} at {} in the backfill", entry.kind(), entry.seq());
        } catch (RuntimeException e) {
            log.error("Skipping log entry {} of kind {} that this node cannot apply", entry.seq(), entry.kind(), e);
        }
    }

    private static LogEntry entry(ByteBufferRecord record) {
        Map<String, String> fields = new HashMap<>(4);
        record.getValue().forEach((k, v) -> fields.put(text(k), text(v)));
        return new LogEntry(seq(record.getId().getValue()), fields.getOrDefault("k", ""), fields.getOrDefault("v", ""));
    }

    private static LogEntry entry(MapRecord<String, Object, Object> record) {
        Map<Object, Object> fields = record.getValue();
        return new LogEntry(seq(record.getId().getValue()), String.valueOf(fields.get("k")), String.valueOf(fields.get("v")));
    }

    /** The sequence number a log stream's entry id ({@code seq-0}) carries: the cluster log's and a partition's. */
    static long seq(String id) {
        int dash = id.indexOf('-');
        return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer buffer) {
        return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
    }
}
