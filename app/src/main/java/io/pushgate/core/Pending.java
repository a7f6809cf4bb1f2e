package io.pushgate.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collection;

import org.jspecify.annotations.Nullable;

/**
 * One sequenced publication (or a gap's reset) on its way to the shards it may reach: put on each of
 * their queues under the node's sequence lock, made {@link #ready} outside it once its frames are encoded,
 * delivered by each shard under that shard's lock. See {@code docs/cores.md}.
 *
 * <p>Its frames are installed once, by one compare-and-set, and any thread may install them: its
 * publisher, or one whose own publication waits behind it on a shard and that found it not ready for a
 * while (its publisher was preempted, say by the collector on a node with as many busy threads as cores).
 * A publisher stalled between sequencing and encoding then holds up no other publisher's deliveries.
 * Encoding is a pure function of the publication and its position, so either thread's frames are the same.
 */
final class Pending {

    final @Nullable Publication publication;
    final long seq;
    final long ts;
    final String epoch;
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

    /**
     * One frame per stream of the target, in {@link #streamReached}'s order (its groups, its uids, its clients,
     * then {@code all}), each {@code null} where that stream has no frame (a client with no session here, an
     * encoding that failed); {@code null} itself until installed. See {@link #install}.
     */
    @SuppressWarnings("unused") // through FRAMES
    private volatile @Nullable Frame @Nullable [] frames;

    /** A reset for every session (a gap in the cluster log), queued on every shard. */
    final @Nullable Frame reset;
    final boolean newEpoch;

    // written by deliveries, read by the publisher once every shard is done
    /** Sessions reached on shards where a thread other than the publisher delivered it (the publisher counts its own). */
    @SuppressWarnings("unused") // through REACHED
    private volatile int reached;
    /** Per uid of the target: whether it had a session here. */
    final boolean[] uidOnline;
    /** Per stream (groups, uids, clients, all): whether any session was sent its frame. */
    final boolean[] streamReached;
    @SuppressWarnings("unused") // through DONE
    private volatile long done;

    private static final VarHandle DONE;
    private static final VarHandle FRAMES;
    private static final VarHandle REACHED;
    private static final @Nullable Frame[] NO_FRAMES = new Frame[0];

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(Pending.class, "done", long.class);
            FRAMES = MethodHandles.lookup().findVarHandle(Pending.class, "frames", Frame[].class);
            REACHED = MethodHandles.lookup().findVarHandle(Pending.class, "reached", int.class);
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
        this.frames = NO_FRAMES;
    }

    /** Its frames are installed: it may be delivered. */
    boolean ready() {
        return FRAMES.getAcquire(this) != null;
    }

    /**
     * Installs {@code encoded} (one frame per stream, see {@link #frames}) unless frames are installed already.
     *
     * @return the frames installed now: {@code encoded}, or those another thread installed first
     */
    @Nullable Frame[] install(@Nullable Frame[] encoded) {
        Object witness = FRAMES.compareAndExchangeRelease(this, (Frame[]) null, encoded);
        return witness == null ? encoded : (Frame[]) witness;
    }

    /** The frames installed; caller saw it {@link #ready}. */
    @Nullable Frame[] frames() {
        return (Frame[]) FRAMES.getAcquire(this);
    }

    /** Adds sessions reached where a thread other than the publisher delivered it. */
    void reachedElsewhere(int sessions) {
        REACHED.getAndAdd(this, sessions);
    }

    /** Sessions reached where a thread other than the publisher delivered it; read once every shard is done. */
    int reachedElsewhere() {
        return (int) REACHED.getVolatile(this);
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
