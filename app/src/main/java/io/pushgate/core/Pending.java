package io.pushgate.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * One sequenced publication (or a gap's reset) on its way to the shards it may reach: put on each of
 * their queues under the node's sequence lock, made {@link #ready} by its publisher (frames encoded, in
 * history) outside it, delivered by each shard under that shard's lock. See {@code docs/cores.md}.
 */
final class Pending {

    final @Nullable Publication publication;
    final long seq;
    final long ts;
    final String epoch;
    /** Its id (a cursor), set by the publisher before it is ready. */
    String id = "";
    /**
     * A copy of a partitioned cluster log's entry: the partition whose sessions it is for (-1: every session
     * it targets), and its cursor in that partition, its id; set by the publisher before it is ready.
     */
    int partition = -1;
    @Nullable Cursor external;
    final long ticket;
    final @Nullable Collection<String> holdFor;
    final long acceptedNanos;
    /** The shards it was queued on, one bit each. */
    final long shards;
    /** Each uid of the target's shard, in the target's order. */
    final int[] uidShards;
    /** Whether each client of the target has a session here (looked up when it was sequenced), and its shard. */
    final int[] clientShards;

    // written by the publisher before ready, read by deliveries after
    @Nullable Frame all;
    @Nullable Frame[] groupFrames;
    @Nullable Frame[] uidFrames;
    @Nullable Frame[] clientFrames;
    volatile boolean ready;

    /** A reset for every session (a gap in the cluster log), queued on every shard. */
    final @Nullable Frame reset;
    final boolean newEpoch;

    // written by deliveries, read by the publisher once every shard is done
    /** Sessions reached on shards where a thread other than the publisher delivered it (the publisher counts its own). */
    final AtomicInteger reached = new AtomicInteger();
    /** Per uid of the target: whether it had a session here. */
    final boolean[] uidOnline;
    /** Per stream (groups, uids, clients, all): whether any session was sent its frame. */
    final boolean[] streamReached;
    @SuppressWarnings("unused") // through DONE
    private volatile long done;

    private static final VarHandle DONE;

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(Pending.class, "done", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    Pending(Publication publication, long seq, long ts, String epoch, long ticket, @Nullable Collection<String> holdFor,
            long acceptedNanos, long shards, int[] uidShards, int[] clientShards) {
        this.publication = publication;
        this.seq = seq;
        this.ts = ts;
        this.epoch = epoch;
        this.ticket = ticket;
        this.holdFor = holdFor;
        this.acceptedNanos = acceptedNanos;
        this.shards = shards;
        this.uidShards = uidShards;
        this.clientShards = clientShards;
        this.reset = null;
        this.newEpoch = false;
        Target target = publication.target();
        this.uidOnline = new boolean[target.uids().size()];
        this.streamReached = new boolean[target.groups().size() + target.uids().size() + target.clients().size() + 1];
    }

    /** A reset, ready at once. */
    Pending(Frame reset, boolean newEpoch, long seq, long ts, long ticket, long shards) {
        this.publication = null;
        this.seq = seq;
        this.ts = ts;
        this.epoch = "";
        this.ticket = ticket;
        this.holdFor = null;
        this.acceptedNanos = 0;
        this.shards = shards;
        this.uidShards = new int[0];
        this.clientShards = new int[0];
        this.reset = reset;
        this.newEpoch = newEpoch;
        this.uidOnline = new boolean[0];
        this.streamReached = new boolean[0];
        this.ready = true;
    }

    /** The shard delivered it. */
    void doneIn(int shard) {
        DONE.getAndBitwiseOr(this, 1L << shard);
    }

    /** The shards that have not delivered it yet. */
    long left() {
        return shards & ~(long) DONE.getVolatile(this);
    }
}
