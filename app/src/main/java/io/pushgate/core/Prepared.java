package io.pushgate.core;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What a session of a partitioned cluster log needs from the cluster before it connects, resumes or polls
 * (see {@code docs/partitioned-log.md}): its node is subscribed to the session's channels, and the broker
 * has read where the session's partition stands and, for a cursor, what came after it.
 *
 * <p><b>Guarantee it rests on.</b> Every entry of the partition numbered after {@link #start} reaches this
 * node live and is applied here after the node's own position {@link #localMark}: the subscription was in
 * effect before {@code start} was read, and {@code localMark} was read before that. So what the session
 * needs is exactly {@link #logged} (read from Redis, up to {@code start}), then what this node applied after
 * {@code localMark} numbered after {@code start}, then what comes live.
 *
 * @param partition the session's partition
 * @param start     the partition's position when the broker read it: its cursor, in the partition's epoch
 * @param localMark this node's sequence number read before {@code start}
 * @param logged    entries of the partition after the asked cursor, up to {@code start}, in order; the core
 *                  keeps those the session reads (empty without a cursor)
 * @param reset     the asked cursor cannot be honoured (another epoch, trimmed, too far behind)
 * @param held      what the partition held for the uid under a {@code ttl} while it was offline; taken once
 *                  cluster-wide, for a connect without a cursor
 */
public record Prepared(int partition, Cursor start, long localMark, List<Logged> logged, boolean reset, List<Logged> held) {

    /** One entry of a partition: its cursor there (its message id) and the message. */
    public record Logged(Cursor id, Publication publication) {
    }

    public Prepared {
        logged = List.copyOf(logged);
        held = List.copyOf(held);
    }

    /**
     * Prepares sessions on a partitioned cluster log; the broker gives it to its node. Never blocks: the
     * answer completes on a Redis client thread.
     */
    @FunctionalInterface
    public interface Preparer {
        /**
         * @param after the cursor the session resumes or polls from, or {@code null} for a new session
         * @return fails with {@link BrokerUnavailableException} when Redis cannot be read
         */
        reactor.core.publisher.Mono<Prepared> prepare(String uid, @Nullable Cursor after);
    }
}
