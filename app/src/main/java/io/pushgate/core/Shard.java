package io.pushgate.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * One shard of a node's sessions (those whose uid hashes to it, {@link Hub#shardOf}): the queue of
 * publications that may reach them, in sequence order, and the lock under which they are delivered,
 * one publication after another, by whichever thread holds it. Connects, resumes, polls and heartbeats
 * of the shard's sessions take the same lock. See {@code docs/cores.md}.
 *
 * <p>The shard is its own lock (a reentrant one, as {@link java.util.concurrent.locks.ReentrantLock}: a
 * poll woken by a delivery on the same thread takes it again), so that the lock's state and what a
 * delivery writes under it sit side by side: a publish to a shard that a publish on another core used
 * last moves one or two cache lines, not one per field (the lock, its count of waiting sessions, the
 * shard's position). Threads that wait for it park, as with a {@code ReentrantLock}.
 */
final class Shard extends AbstractQueuedSynchronizer {

    private static final long serialVersionUID = 1L;
    private static final VarHandle WAITING;

    static {
        try {
            WAITING = MethodHandles.lookup().findVarHandle(Shard.class, "waiting", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int index;
    /** Put on under the node's sequence lock (so in sequence order), taken off under the lock. */
    final transient ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    /** Threads waiting for the lock to connect, poll or beat: a delivering thread lets the shard go for them. */
    private volatile int waiting;
    /** Under the lock: a delivery is under way on this thread (a poll woken by it must not deliver again). */
    boolean draining;
    /** Under the lock: the last publication delivered here, for a heartbeat's cursor. */
    long lastSeq = -1;
    long lastTs;
    @SuppressWarnings("unused") // keeps the next object off this one's last line
    private long q1, q2, q3, q4, q5, q6, q7;

    Shard(int index) {
        this.index = index;
    }

    /** Threads waiting to connect, poll or beat here. */
    int waiting() {
        return waiting;
    }

    /** Takes the lock as a connect, poll or heartbeat does: ahead of deliveries that have not started. */
    void lockForSession() {
        WAITING.getAndAdd(this, 1);
        try {
            lock();
        } finally {
            WAITING.getAndAdd(this, -1);
        }
    }

    void lock() {
        if (!tryLock()) {
            acquire(1);
        }
    }

    boolean tryLock() {
        return tryAcquire(1);
    }

    void unlock() {
        release(1);
    }

    @Override
    protected boolean tryAcquire(int acquires) {
        Thread me = Thread.currentThread();
        int c = getState();
        if (c == 0) {
            if (compareAndSetState(0, acquires)) {
                setExclusiveOwnerThread(me);
                return true;
            }
        } else if (getExclusiveOwnerThread() == me) {
            setState(c + acquires);
            return true;
        }
        return false;
    }

    @Override
    protected boolean tryRelease(int releases) {
        if (getExclusiveOwnerThread() != Thread.currentThread()) {
            throw new IllegalMonitorStateException();
        }
        int c = getState() - releases;
        if (c == 0) {
            setExclusiveOwnerThread(null);
        }
        setState(c);
        return c == 0;
    }

    @Override
    protected boolean isHeldExclusively() {
        return getExclusiveOwnerThread() == Thread.currentThread();
    }
}
