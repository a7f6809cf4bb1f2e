package io.pushgate.broker.redis;

import java.util.ArrayList;
import java.util.List;

import io.pushgate.core.Limits;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One partition of the partitioned log as this node sees it (see {@code docs/partitioned-log.md}): its
 * keys, the epoch it holds, the highest sequence number it has received, and its appender, which
 * batches this node's entries for the partition into {@link Scripts#PARTITION_APPEND} calls.
 */
final class PartitionLog {

    /** The epoch a partition's first INIT starts when the partition has none; never a real epoch. */
    static final String NONE = "-";

    final int index;
    final PartitionLayout.Keys keys;
    final LogAppender appender;
    /** The partition's epoch as this node last took it ({@link #sync}); entries of another are not applied. */
    volatile String epoch = NONE;
    /**
     * The highest sequence number of this partition the node has received, live or recovered. Written
     * under the feed's lock of the partition.
     */
    volatile long received;
    /**
     * A number no entry of this node's channels after it has failed to arrive unnoticed: the partition's
     * sequence read before its first channel here was subscribed, or as far as a recovery read. Recoveries
     * read from the later of it and {@link #received}. Written under the feed's lock of the partition.
     */
    volatile long floor;
    /**
     * The last entry this node received and a hash of its value: a recovery finds the same entry under that
     * number, or Redis went back. (Its {@link #received} may be further on, past entries of other nodes.)
     */
    volatile long hashedSeq;
    volatile int receivedHash;
    /** The highest number this node's own appends were given. */
    private volatile long numbered;
    /**
     * Takes the epoch a sync answered: by default {@link #adopt}; on a node, the feed, which also tells the
     * partition's sessions when it changed (their cursors are void).
     */
    interface EpochTaker {
        /** @param base the number the epoch's entries come after */
        void take(int partition, String epoch, long base);
    }

    volatile EpochTaker taker = (k, e, seq) -> adopt(e);

    /** Epochs this node left, newest last: their entries still on the way are dropped, not taken for a new one. */
    private final java.util.Deque<String> left = new java.util.ArrayDeque<>();

    /**
     * @param heldPerUid the most entries held for one offline uid ({@code pushgate.history.max-messages})
     * @param heldUids   the most uids the partition holds entries for: the node-wide bound on held messages
     *                   ({@code pushgate.history.max-held-messages}) over the partitions, in uids
     */
    PartitionLog(int index, PartitionLayout layout, ReactiveStringRedisTemplate redis, RedisSettings settings,
                 Limits limits, ClusterLink link, boolean sharded, int heldPerUid, int heldUids) {
        this.index = index;
        this.keys = layout.keys(index);
        String publish = sharded ? "SPUBLISH" : "PUBLISH";
        this.appender = new LogAppender(new LogAppender.Call() {
            @Override
            public int width() {
                return 3;
            }

            @Override
            @SuppressWarnings("rawtypes")
            public Flux<List> send(List<String> entries) {
                List<String> args = new ArrayList<>(8 + entries.size());
                args.add(epoch);
                args.add(Integer.toString(settings.logLength()));
                args.add(keys.prefix());
                args.add(Long.toString(settings.idempotencyWindow().toMillis()));
                // the appends refuse when the partition's sequence is behind what this node knows it reached
                args.add(Long.toString(Math.max(received, numbered)));
                args.add(publish);
                args.add(Integer.toString(heldPerUid));
                args.add(Integer.toString(heldUids));
                args.addAll(entries);
                return redis.execute(Scripts.PARTITION_APPEND,
                        List.of(keys.epoch(), keys.seq(), keys.log(), keys.holders()), args);
            }

            @Override
            public void failed(Throwable error) {
                if (lostData(error)) {
                    resync(redis, settings, false).subscribe(null, e -> { }); // the partition lost data
                } else {
                    link.down(error).subscribe(); // Redis cannot be reached
                }
            }

            @Override
            public void numbered(long seq) {
                numbered = Math.max(numbered, seq);
            }
        }, settings, limits, link);
    }

    /** Whether the script refused because the partition lost data (its epoch or numbers), anywhere in the causes. */
    private static boolean lostData(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (String.valueOf(t.getMessage()).startsWith("PUSHGATE_")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Takes the partition's epoch, starting {@code proposed} when the partition has none or lost data
     * (the {@link Scripts#INIT} rules, per partition). @return the partition's sequence number now
     */
    Mono<Long> sync(ReactiveStringRedisTemplate redis, String proposed, RedisSettings settings) {
        return init(redis, proposed, settings, false);
    }

    /**
     * Syncs after this node found the partition lost data: a fresh epoch when the partition still has the
     * one this node holds and {@code force} (numbers were used twice), or when its sequence is behind.
     */
    Mono<Long> resync(ReactiveStringRedisTemplate redis, RedisSettings settings, boolean force) {
        // tried again for a while: until it is done, this node's appends to the partition are refused
        return Mono.defer(() -> init(redis, LogReader.freshEpoch(), settings, force))
                .retryWhen(reactor.util.retry.Retry.backoff(10, java.time.Duration.ofMillis(200))
                        .maxBackoff(java.time.Duration.ofSeconds(2)));
    }

    private Mono<Long> init(ReactiveStringRedisTemplate redis, String proposed, RedisSettings settings, boolean force) {
        return redis.execute(Scripts.INIT, List.of(keys.epoch(), keys.seq(), keys.base()),
                        List.of(epoch, Long.toString(Math.max(received, numbered)), proposed, force ? "1" : "0"))
                .next()
                .timeout(settings.timeout())
                .map(answer -> {
                    long seq = Long.parseLong(String.valueOf(answer.get(1)));
                    taker.take(index, String.valueOf(answer.get(0)), Long.parseLong(String.valueOf(answer.get(2))));
                    return seq;
                });
    }

    /**
     * Takes {@code newer} as the partition's epoch. @return whether it changed from one this node held:
     * every cursor of the old one is void, so the partition's sessions must be told (reset)
     */
    synchronized boolean adopt(String newer) {
        String old = epoch;
        if (old.equals(newer)) {
            return false;
        }
        epoch = newer;
        if (old.equals(NONE)) {
            return false;
        }
        left.addLast(old);
        if (left.size() > 8) {
            left.removeFirst();
        }
        return true;
    }

    /**
     * After taking a new epoch: its numbers go on from {@code seq}, and what this node received or was given
     * in the old one says nothing about them (kept, it would make this node refuse the new epoch's appends
     * as behind, or drop its entries as seen). Under the feed's lock of the partition.
     */
    void restartAt(long seq) {
        received = seq;
        floor = seq;
        numbered = seq;
        hashedSeq = 0;
    }

    /** Whether this node left the epoch: its entries still on the way are not a new epoch. */
    synchronized boolean leftEpoch(String e) {
        return left.contains(e);
    }

    /**
     * Takes what the partition holds for the uid, oldest first, and forgets it: once, cluster-wide. The
     * caller drops entries its session receives live (numbered after the session's welcome).
     */
    Mono<List<LogEntry>> takeHeld(ReactiveStringRedisTemplate redis, String uid, RedisSettings settings) {
        return redis.execute(Scripts.TAKE_HELD, List.of(keys.held(uid), keys.holders()), List.of(uid))
                .next()
                .timeout(settings.timeout())
                .map(held -> {
                    List<LogEntry> out = new ArrayList<>(held.size());
                    for (Object o : held) {
                        Published p = Published.parse(String.valueOf(o));
                        if (p != null && p.epoch().equals(epoch)) { // another epoch's: its cursors are void
                            out.add(p.entry());
                        }
                    }
                    return out;
                })
                .defaultIfEmpty(List.of());
    }

    /** An entry as the partition publishes and holds it: {@code epoch FIELD seq FIELD kind FIELD value}. */
    record Published(String epoch, LogEntry entry) {

        /** @return {@code null} when the text is not one */
        static @org.jspecify.annotations.Nullable Published parse(String payload) {
            int e = payload.indexOf(LogEntry.FIELD);
            int a = e < 0 ? -1 : payload.indexOf(LogEntry.FIELD, e + 1);
            int b = a < 0 ? -1 : payload.indexOf(LogEntry.FIELD, a + 1);
            if (b < 0) {
                return null;
            }
            try {
                return new Published(payload.substring(0, e), new LogEntry(Long.parseLong(payload, e + 1, a, 10),
                        payload.substring(a + 1, b), payload.substring(b + 1)));
            } catch (NumberFormatException x) {
                return null;
            }
        }
    }
}
