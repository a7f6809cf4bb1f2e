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
 * @param writeDelay        how long a session's frames may wait to be written together (0: at once)
 * @param direct            whether upgrades are served straight from Netty ({@link DirectWebSocket})
 */
public record WsSettings(Duration heartbeat, Duration authTimeout, int maxFrameBytes, double framesPerSecond,
                         int frameBurst, int maxBadFrames, Duration writeDelay, boolean direct) {

    /** Frames over this never reach the connection: the decoder refuses them, and the client is closed with 1009. */
    public int hardFrameLimit() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(maxFrameBytes * 4L, 65536L));
    }
}
