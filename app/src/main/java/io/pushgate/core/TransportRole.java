package io.pushgate.core;

import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

import reactor.core.Disposable;

/**
 * What a transport (WebSocket, SSE, long poll, Socket.IO) may ask of its node: open and end sessions,
 * resume and poll from a cursor, and run heartbeats. Client-initiated joins and publishes go through
 * {@link ClientActions}. The ordering guarantees are the node's: a greeting comes first, a resume or
 * poll meets live messages with no gap and no duplicate, and a heartbeat's cursor never runs ahead of
 * a message the session has not been given.
 */
public interface TransportRole {

    /** Makes the frame a session receives first, given the session and the cursor it starts at. */
    @FunctionalInterface
    interface Greeting {
        Frame welcome(Session session, String cursor);
    }

    Limits limits();

    /**
     * Opens and registers a streaming session: the greeting first, then what it missed after
     * {@code resumeFrom} (or what was held for its uid), then live messages.
     *
     * @return the session, or {@code null} when refused; the connection then ends with {@link #refusal(String)}
     */
    @Nullable Session connect(ClientClaims claims, Transport transport, Greeting greeting, @Nullable Cursor resumeFrom);

    /** Opens a long-poll session, which reads history through {@link #pollOrWait}; {@code null} when refused. */
    @Nullable Session connectPoller(ClientClaims claims, Transport transport);

    /** Why a session of the uid was refused: shutting down, banned, or too many sessions for it. */
    Disconnect refusal(String uid);

    /** The transport's connection is gone: the session leaves the node and presence. */
    void disconnected(Session session);

    /** Replays what the session missed after {@code cursor}; @return how many, or -1 when a reset was sent */
    int resume(Session session, Cursor cursor);

    /** The messages after {@code cursor}, or, when there are none, {@code wake} armed for the next one. */
    Replay pollOrWait(Session session, Cursor cursor, int limit, Runnable wake);

    /** The cursor for a poll that found nothing after {@code after}, timed now. */
    Cursor idleCursor(Session session, Cursor after);

    /** The cursor just after the latest publish. */
    Cursor currentCursor();

    /** What was held for the uid under a ttl while it was offline; taken once. */
    List<Frame> takeOffline(String uid);

    /** One heartbeat for every session of the transport; disposing it stops it. */
    Disposable heartbeats(String transport, Duration every);
}
