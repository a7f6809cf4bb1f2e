package io.pushgate.core;

/**
 * The seam between a {@link Session} and its wire.
 *
 * <p>There is deliberately no read or write here: the transport reads its own socket, and it writes
 * what it takes from {@link Session#frames()}. The core only needs to name the transport and to end
 * the connection.
 */
public interface Transport {

    /** A short name used in stats, such as {@code websocket}. */
    String name();

    /**
     * Ends the connection with the given code. Must be idempotent, thread-safe and non-blocking;
     * the transport unregisters the session from the {@link Hub} once the connection is gone.
     */
    void close(Disconnect disconnect);

    /**
     * A heartbeat tick from the node (see {@link PushNode#heartbeats}): the transport checks the peer
     * is alive and queues {@code ping}, whose cursor is exact for this session because the node builds
     * and hands it out under the session's shard lock, after the shard delivered everything the cursor covers. Must not block.
     */
    default void heartbeat(Frame ping) {
    }

    /**
     * An outlet of the transport's own for a streaming session, holding at most {@code capacity}
     * bounded frames, or {@code null} for the default {@link Outbox} whose {@link Session#frames()} the
     * transport then drains.
     */
    default @org.jspecify.annotations.Nullable Outlet outlet(int capacity) {
        return null;
    }
}
