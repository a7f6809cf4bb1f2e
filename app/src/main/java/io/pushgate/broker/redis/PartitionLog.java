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
    private static final String NONE = "-";

    final int index;
    final PartitionLayout.Keys keys;
    final LogAppender appender;
    /** The partition's epoch as this node last took it ({@link #sync}); entries of another are not applied. */
    volatile String epoch = NONE;
    /**
     * The highest sequence number of this partition the node has received, live or recovered: the
     * appends refuse when the partition's sequence is behind it (Redis lost data, see {@link Scripts#APPEND}).
     */
    volatile long received;

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
                args.add(Long.toString(received));
                args.add(publish);
                args.add(Integer.toString(heldPerUid));
                args.add(Integer.toString(heldUids));
                args.addAll(entries);
                return redis.execute(Scripts.PARTITION_APPEND,
                        List.of(keys.epoch(), keys.seq(), keys.log(), keys.holders()), args);
            }
        }, settings, limits, link);
    }

    /**
     * Takes the partition's epoch, starting {@code proposed} when the partition has none or lost data
     * (the {@link Scripts#INIT} rules, per partition). @return the partition's sequence number now
     */
    Mono<Long> sync(ReactiveStringRedisTemplate redis, String proposed, RedisSettings settings) {
        return redis.execute(Scripts.INIT, List.of(keys.epoch(), keys.seq(), keys.base()),
                        List.of(epoch, Long.toString(received), proposed))
                .next()
                .timeout(settings.timeout())
                .map(answer -> {
                    epoch = String.valueOf(answer.get(0));
                    return Long.parseLong(String.valueOf(answer.get(1)));
                });
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
                        LogEntry entry = LogEntry.ofPayload(String.valueOf(o));
                        if (entry != null) { // only the append script writes there
                            out.add(entry);
                        }
                    }
                    return out;
                })
                .defaultIfEmpty(List.of());
    }
}
