package io.pushgate.core;

import java.util.Set;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import reactor.core.publisher.Flux;

/**
 * One client connection as the core sees it: who it is, which groups it is in, and its bounded
 * outbound queue.
 *
 * <p>Thread-safety: every method may be called from any thread. Group membership is changed only
 * through the {@link Hub}, which keeps its indexes and this set in step.
 */
public final class Session {

    private final String clientId;
    private final Transport transport;
    private final Outlet outbox;
    /** Immutable, replaced on each change (see {@link SmallSets}); changed only under the {@link Hub}'s lock. */
    private volatile Set<String> groups = Set.of();
    /** An updated field, not an atomic object: a node holds one session per connection. */
    private volatile int closed;
    private static final AtomicIntegerFieldUpdater<Session> CLOSED = AtomicIntegerFieldUpdater.newUpdater(Session.class, "closed");
    private volatile ClientClaims claims;
    /** A JSON object's text, or null for none; changed only through the {@link Hub}, under its lock. */
    private volatile @org.jspecify.annotations.Nullable String data;
    private final Runnable onOverflow;
    private volatile @org.jspecify.annotations.Nullable Disconnect disconnect;
    private volatile @org.jspecify.annotations.Nullable Disconnect endedWith;

    /**
     * Set once, before the session is visible to deliveries (under its shard's lock); publications up to it
     * are not delivered live: they came before the session's welcome cursor and are in history for a replay.
     */
    long connectedSeq;
    /** The session's shard ({@link Hub#shardOf}); set when it registers. */
    int shard;
    /**
     * The cluster log partition its uid's messages travel in ({@link PushNode#partitionSessions}), or -1 on a
     * node that runs alone or on one log. Set before the session is registered.
     */
    int partition = -1;
    /**
     * On a partitioned log, its welcome's cursor: copies numbered up to it that arrive live afterwards are not
     * delivered (they came before it), and a heartbeat's cursor is never behind it. Set before the session is
     * registered; {@code null} again after a new epoch's reset, whose numbers it says nothing of. Guarded by
     * the session's shard lock.
     */
    @org.jspecify.annotations.Nullable Cursor partitionStart;
    /** Epoch ms, for operators' views (the admin page's uid lookup); nothing in delivery reads it. */
    private final long connectedAt = System.currentTimeMillis();

    /** The transport's slot in the node's {@link NodeMeters}; set before the session is registered. */
    int meterSlot;

    Session(String clientId, ClientClaims claims, Transport transport, Outlet outlet, long connectedSeq,
            Runnable onOverflow) {
        this.clientId = clientId;
        this.claims = claims;
        this.transport = transport;
        this.outbox = outlet;
        this.connectedSeq = connectedSeq;
        this.onOverflow = onOverflow;
        this.data = claims.data();
    }

    Session(String clientId, ClientClaims claims, Transport transport, int queueCapacity, Runnable onOverflow) {
        this(clientId, claims, transport, new Outbox(queueCapacity), 0, onOverflow);
    }

    /** When the session opened (epoch ms). */
    public long connectedAt() {
        return connectedAt;
    }

    /** The number in its partition up to which copies are not delivered live ({@link #partitionStart}), or -1. */
    long partitionFloor() {
        Cursor start = partitionStart;
        return start == null ? -1 : start.seq();
    }

    /** The last publish sequence number before this session became visible to deliveries. */
    long connectedSeq() {
        return connectedSeq;
    }

    /**
     * Replays so far cover (replayedFrom, connectedSeq]: a later resume from an older cursor replays
     * only what is before that, so nothing reaches the session twice. Guarded by the session's shard lock.
     */
    long replayedFrom = Long.MAX_VALUE;

    /** Messages up to this sequence number are not delivered: the cursor it resumed from covers them. Guarded by the session's shard lock. */
    long skipThrough = -1;

    /** Whether this is a long-poll session, which reads history instead of a queue. */
    public boolean polling() {
        return outbox instanceof Doorbell;
    }

    boolean arm(Runnable wake) {
        return outbox instanceof Doorbell bell && bell.arm(wake);
    }

    /** Forgets a waiter given to {@link PushNode#pollOrWait}, after a poll timed out or went away. */
    public void disarm(Runnable wake) {
        if (outbox instanceof Doorbell bell) {
            bell.disarm(wake);
        }
    }

    public String clientId() {
        return clientId;
    }

    public String uid() {
        return claims.uid();
    }

    public ClientClaims claims() {
        return claims;
    }

    /** Replaces the claims after a token refresh; the uid never changes. */
    public void refresh(ClientClaims refreshed) {
        if (!refreshed.uid().equals(claims.uid())) {
            throw new IllegalArgumentException("a refreshed token must keep the uid");
        }
        this.claims = refreshed;
    }

    /**
     * The session data the backend keeps on this connection (GatewayWorker's {@code $_SESSION}): a JSON
     * object's text, or {@code null} when none was set. Carried in every backend event of the session.
     */
    public @org.jspecify.annotations.Nullable String data() {
        return data;
    }

    /** Called under the {@link Hub}'s lock. */
    void data(@org.jspecify.annotations.Nullable String changed) {
        data = changed;
    }

    public String transportName() {
        return transport.name();
    }

    void heartbeat(Frame ping) {
        if (closed == 0) {
            transport.heartbeat(ping);
        }
    }

    /** The groups this session is in now: an immutable snapshot. */
    public Set<String> groups() {
        return groups;
    }

    /** Called under the {@link Hub}'s lock. */
    void groups(Set<String> changed) {
        groups = changed;
    }

    /**
     * Queues a frame. A full queue closes the session with {@link Disconnect#SLOW_CLIENT} rather than
     * grow or block: the publisher and every other session go on at full speed.
     *
     * @return whether the frame was queued
     */
    public boolean send(Frame frame) {
        Outlet.Offer offer = outbox.offer(frame);
        if (offer == Outlet.Offer.FULL) {
            onOverflow.run();
            close(Disconnect.SLOW_CLIENT);
        }
        return offer == Outlet.Offer.QUEUED;
    }

    /**
     * Queues a welcome or replayed frame ahead of live ones, within the same bound as {@link #send}: a
     * full queue closes the session as slow, exactly like a live frame that does not fit.
     */
    boolean sendFirst(Frame frame) {
        Outlet.Offer offer = outbox.offerFirst(frame);
        if (offer == Outlet.Offer.FULL) {
            onOverflow.run();
            close(Disconnect.SLOW_CLIENT);
        }
        return offer == Outlet.Offer.QUEUED;
    }

    /** How many more frames the session's queue takes now; see {@link Outlet#room()}. */
    int room() {
        return outbox.room();
    }

    /** The frames to write, in order; subscribe once. Completes when the session is closed. */
    public Flux<Frame> frames() {
        return outbox.frames();
    }

    /** Closes the connection now, dropping queued frames; the first reason given to a session is the one sent. */
    public void close(Disconnect disconnect) {
        if (CLOSED.compareAndSet(this, 0, 1)) {
            this.disconnect = disconnect;
            outbox.complete();
        }
        Disconnect first = this.disconnect;
        transport.close(first == null ? disconnect : first); // also cuts a flush that is stuck
    }

    /**
     * Stops taking frames and closes once the frames already queued are written: {@link #frames()}
     * completes and the transport then ends the connection with {@link #disconnect()}. Used for a
     * graceful shutdown, so nothing accepted before it is lost.
     */
    public void closeAfterFlush(Disconnect disconnect) {
        if (CLOSED.compareAndSet(this, 0, 1)) {
            this.disconnect = disconnect;
            outbox.complete();
        }
    }

    /**
     * Records why the transport ends the connection (heartbeat timeout, bad frames, …) when the node did
     * not close the session first: the close code its disconnect is counted with. Changes nothing else.
     */
    public void endedWith(Disconnect disconnect) {
        endedWith = disconnect;
    }

    /** The close code to count the session's end with: the node's reason, else the transport's, else {@code null}. */
    @org.jspecify.annotations.Nullable Disconnect endReason() {
        Disconnect d = disconnect;
        return d != null ? d : endedWith;
    }

    /** Why the session was closed, or {@code null} while it is open. */
    public @org.jspecify.annotations.Nullable Disconnect disconnect() {
        return disconnect;
    }

    public boolean isClosed() {
        return closed != 0;
    }

    @Override
    public String toString() {
        return "Session[" + clientId + ", uid=" + uid() + ", " + transport.name() + "]";
    }
}
