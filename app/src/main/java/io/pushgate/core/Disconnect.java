package io.pushgate.core;

/**
 * Why the server ends a session, as a WebSocket close code and a short reason.
 *
 * <p>Codes follow one rule clients can rely on: 1001, 4408 and 4429 mean "reconnect (with backoff) and
 * resume from your cursor"; 4401 means "get a new token first"; 4403 means "do not reconnect on your
 * own"; 4400, 1007 and 1009 mean the client sent something it must not send again. Reasons stay
 * under the 123 bytes a close frame allows.
 */
public record Disconnect(int code, String reason) {

    /** The node is shutting down or draining; reconnect, ideally to another node. */
    public static final Disconnect SHUTDOWN = new Disconnect(1001, "server shutting down");
    /** Frames over the size limit kept coming. */
    public static final Disconnect FRAME_TOO_BIG = new Disconnect(1009, "frame too big");
    /** A text frame that is not valid UTF-8 (RFC 6455 section 8.1). */
    public static final Disconnect INVALID_UTF8 = new Disconnect(1007, "text frame is not valid UTF-8");
    /** Malformed or unknown frames kept coming. */
    public static final Disconnect BAD_FRAMES = new Disconnect(4400, "too many bad frames");
    /** No token, a bad token, or the token expired and was not refreshed. */
    public static final Disconnect UNAUTHORIZED = new Disconnect(4401, "unauthorized");
    public static final Disconnect TOKEN_EXPIRED = new Disconnect(4401, "token expired");
    public static final Disconnect AUTH_TIMEOUT = new Disconnect(4401, "no auth frame in time");
    /** The backend kicked this session or its uid. */
    public static final Disconnect KICKED = new Disconnect(4403, "kicked");
    /** The uid is banned (a kick with {@code ban}): refused until the ban ends. */
    public static final Disconnect BANNED = new Disconnect(4403, "banned");
    /** The outbound queue filled because the client did not read fast enough. */
    public static final Disconnect SLOW_CLIENT = new Disconnect(4408, "slow client");
    /** The client answered nothing for two heartbeats. */
    public static final Disconnect HEARTBEAT_TIMEOUT = new Disconnect(4408, "heartbeat timeout");
    /** The uid already holds the allowed number of sessions. */
    public static final Disconnect TOO_MANY_SESSIONS = new Disconnect(4429, "too many sessions for uid");
    /** The client kept sending frames over its rate limit. */
    public static final Disconnect RATE_LIMITED = new Disconnect(4429, "rate limited");
    /**
     * The connect proxy's backend could not admit the client now (no answer in time, an error, an answer
     * that is not valid); reconnect with backoff. WebSocket's "try again later".
     */
    public static final Disconnect TRY_AGAIN_LATER = new Disconnect(1013, "try again later");
}
