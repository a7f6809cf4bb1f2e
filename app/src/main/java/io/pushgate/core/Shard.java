package io.pushgate.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;

import org.jspecify.annotations.Nullable;

/**
 * One shard of a node's sessions (those whose uid hashes to it, {@link Hub#shardOf}): the queue of
 * publications that may reach them, in sequence order, and the lock under which they are delivered,
 * one publication after another, by whichever thread holds it. Connects, resumes, polls and heartbeats
 * of the shard's sessions take the same lock. See {@code docs/cores.md}.
 *
 * <p>The shard is its own lock (a reentrant one, as {@link java.util.concurrent.locks.ReentrantLock}: a
 * poll woken by a delivery on the same thread takes it again), so that the lock's state and what a
 * delivery writes under it sit side by side: a publish to a shard that a publish on another core used last
 * moves one line, or two when the object straddles a line boundary (objects are 8-byte aligned), not one
 * per field. The fields end in 64 bytes of padding (the lock's own fields come first, right after the
 * object's header, and cannot be padded ahead). Threads that wait for the lock park, as with a
 * {@code ReentrantLock}.
 *
 * <p>The queue's end is apart, on a line of its own ({@link Tail}): publishers put on it under the node's
 * sequence lock, and beside the shard's lock it would be a line that a delivery on another core is
 * writing, moved while the sequence lock is held and every other publisher waits for it.
 */
final class Shard extends ShardState {

    private static final long serialVersionUID = 1L;
    private static final VarHandle WAITING;
    private static final VarHandle NEXT;

    static {
        try {
            WAITING = MethodHandles.lookup().findVarHandle(ShardState.class, "waiting", int.class);
            NEXT = MethodHandles.lookup().findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // keeps the next object off this one's last line
    private long q1, q2, q3, q4, q5, q6, q7, q8;

    Shard(int index) {
        super(index, new Node(null));
    }

    /** Caller holds the lock: a copy of partition {@code k} (of {@code partitions}) was delivered here. */
    void partitionLast(int k, int partitions, Cursor id) {
        if (partitionLast == null) {
            partitionLast = new Cursor[partitions];
        }
        partitionLast[k] = id;
    }

    /**
     * Puts a publication (or a reset) at the end of the queue. Caller holds the node's sequence lock: one
     * thread at a time puts on, in sequence order, so no compare-and-set is needed (a
     * {@code ConcurrentLinkedQueue} made two per publication and shard, and a third to take it off).
     */
    void offer(Pending p) {
        Node n = new Node(p);
        NEXT.setRelease(tail.node, n); // publishes the node's item to the shard's next holder
        tail.node = n;
    }

    /** The queue's first publication, or {@code null}. Caller holds this shard's lock. */
    @Nullable Pending peek() {
        Node first = (Node) NEXT.getAcquire(head);
        return first == null ? null : first.item;
    }

    /** Takes the first publication off (there is one: the caller peeked it). Caller holds this shard's lock. */
    void poll() {
        Node old = head;
        Node first = (Node) NEXT.getAcquire(old);
        first.item = null; // the new dummy: keeps no publication alive
        head = first;
        // the old dummy is garbage; unlinked so that, promoted, it does not keep the nodes after it alive
        NEXT.setOpaque(old, null);
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

    static final class Tail extends TailField {
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7, q8;

        Tail(Node node) {
            this.node = node;
        }
    }

    /** A node of the queue: its item, and the next node, set once by the producer (with release). */
    static final class Node {
        @Nullable Pending item;
        @SuppressWarnings("unused") // through NEXT
        private volatile @Nullable Node next;

        Node(@Nullable Pending item) {
            this.item = item;
        }
    }
}

/** The queue's last node, on a line of its own: written under the node's sequence lock only (not the shard's). */
abstract class TailField extends Padding {
    Shard.Node node;
}

/**
 * A {@link Shard}'s fields, ahead of its trailing padding (superclass fields come first). Guarded by the
 * shard's lock unless said otherwise.
 */
abstract class ShardState extends AbstractQueuedSynchronizer {

    private static final long serialVersionUID = 1L;

    final int index;
    /** The queue's first node, whose item was taken (a dummy): read and moved on under this shard's lock only. */
    transient Shard.Node head;
    /** Holds the queue's last node. */
    final transient Shard.Tail tail;
    /** Threads waiting for the lock to connect, poll or beat: a delivering thread lets the shard go for them. */
    volatile int waiting;
    /** A delivery is under way on this thread (a poll woken by it must not deliver again). */
    boolean draining;
    /** The last publication delivered here, for a heartbeat's cursor. */
    long lastSeq = -1;
    long lastTs;
    /** On a partitioned log: per partition, the id of the last copy delivered here, for a heartbeat's cursor. */
    @Nullable Cursor @Nullable [] partitionLast;

    ShardState(int index, Shard.Node dummy) {
        this.index = index;
        this.head = dummy;
        this.tail = new Shard.Tail(dummy);
    }
}
