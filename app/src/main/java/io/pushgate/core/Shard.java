package io.pushgate.core;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One shard of a node's sessions (those whose uid hashes to it, {@link Hub#shardOf}): the queue of
 * publications that may reach them, in sequence order, and the lock under which they are delivered,
 * one publication after another, by whichever thread holds it. Connects, resumes, polls and heartbeats
 * of the shard's sessions take the same lock. See {@code docs/cores.md}.
 */
final class Shard extends ShardPad {

    /** Under {@link #lock}: a delivery is under way on this thread (a poll woken by it must not deliver again). */
    boolean draining;
    /** Under {@link #lock}: the last publication delivered here, for a heartbeat's cursor. */
    long lastSeq = -1;
    long lastTs;
    /** Under {@link #lock}: deliveries per transport slot of the publication being delivered. */
    final int[] delivered = new int[NodeMeters.MAX_TRANSPORTS];

    Shard(int index) {
        super(index);
    }

    /** Takes the lock as a connect, poll or heartbeat does: ahead of deliveries that have not started. */
    void lockForSession() {
        waiting.incrementAndGet();
        try {
            lock.lock();
        } finally {
            waiting.decrementAndGet();
        }
    }
}

/**
 * What every publisher reads of every shard it reaches, apart from what the delivering thread writes
 * ({@link Shard}'s own fields come after a cache line of padding: superclass fields are laid out first).
 */
abstract class ShardRefs {
    final int index;
    final ReentrantLock lock = new ReentrantLock();
    /** Put on under the node's sequence lock (so in sequence order), taken off under {@link #lock}. */
    final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    /** Threads waiting for {@link #lock} to connect, poll or beat: a delivering thread lets the shard go for them. */
    final AtomicInteger waiting = new AtomicInteger();

    ShardRefs(int index) {
        this.index = index;
    }
}

abstract class ShardPad extends ShardRefs {
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7;

    ShardPad(int index) {
        super(index);
    }
}
