package io.pushgate.transport.ws;

import java.time.Duration;

/**
 * Tunables of the WebSocket transport.
 *
 * @param heartbeat         how often the server pings; a client silent for two of these is closed (4408)
 * @param authTimeout       how long a connection without a handshake token may take to send its
 *                          {@code auth} frame before it is closed (4401)
 * @param maxFrameBytes     the largest client frame handled; a bigger one gets an error reply, and a
 *                          second one closes with 1009
 * @param framesPerSecond   sustained client frame rate allowed
 * @param frameBurst        frames a client may send at once above the rate
 * @param maxBadFrames      consecutive malformed or refused frames before closing with 4400
 * @param writeDelay        how long a session's frames may wait to be written together (0: as soon as the
 *                          loop has nothing else to do, see {@link io.pushgate.transport.netty.WritePass})
 * @param direct            whether upgrades are served straight from Netty ({@link DirectWebSocket})
 * @param maxUnauthenticated           connections waiting for their {@code auth} frame on the node; one
 *                                     more upgrade is refused with a 503 problem
 * @param maxUnauthenticatedPerAddress the same, per peer address
 */
public record WsSettings(Duration heartbeat, Duration authTimeout, int maxFrameBytes, double framesPerSecond,
                         int frameBurst, int maxBadFrames, Duration writeDelay, boolean direct,
                         int maxUnauthenticated, int maxUnauthenticatedPerAddress) {

    /**
     * The largest frame read before a connection has authenticated: an {@code auth} frame carries a
     * token (a few hundred bytes, rarely more than 8 KiB) and a cursor, so 16 KiB leaves a wide margin,
     * while a connection nobody has vouched for cannot make the server hold a 64 KiB frame. A bigger
     * one closes the connection with 1009 at once, without the second chance an authenticated client gets.
     */
    public static final int AUTH_FRAME_LIMIT = 16 * 1024;

    /** Frames over this never reach the connection: the decoder refuses them, and the client is closed with 1009. */
    public int hardFrameLimit() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(maxFrameBytes * 4L, 65536L));
    }
}
