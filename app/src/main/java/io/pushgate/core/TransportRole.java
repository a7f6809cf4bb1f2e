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
    default @Nullable Session connect(ClientClaims claims, Transport transport, Greeting greeting, @Nullable Cursor resumeFrom) {
        return connect(claims, transport, greeting, resumeFrom, null);
    }

    /**
     * On a partitioned cluster log, what {@link #connect}, {@link #resume} and {@link #pollOrWait} need read
     * from Redis first: the transport waits for it, hops back to its connection's thread, and passes it on.
     * {@code null} on a node alone or on one cluster log, where nothing needs reading: the transport goes on
     * at once, as before. See {@code docs/partitioned-log.md}.
     *
     * @param after the cursor the session resumes or polls from, or {@code null} for a new session
     * @return fails with {@link BrokerUnavailableException} when Redis cannot be read (the client retries)
     */
    default reactor.core.publisher.@Nullable Mono<Prepared> prepare(ClientClaims claims, @Nullable Cursor after) {
        return null;
    }

    /** As {@link #connect(ClientClaims, Transport, Greeting, Cursor)}, with what {@link #prepare} read. */
    @Nullable Session connect(ClientClaims claims, Transport transport, Greeting greeting, @Nullable Cursor resumeFrom,
                              @Nullable Prepared prepared);

    /** Opens a long-poll session, which reads history through {@link #pollOrWait}; {@code null} when refused. */
    @Nullable Session connectPoller(ClientClaims claims, Transport transport);

    /** Why a session of the uid was refused: shutting down, banned, or too many sessions for it. */
    Disconnect refusal(String uid);

    /** The transport's connection is gone: the session leaves the node and presence. */
    void disconnected(Session session);

    /** Replays what the session missed after {@code cursor}; @return how many, or -1 when a reset was sent */
    default int resume(Session session, Cursor cursor) {
        return resume(session, cursor, null);
    }

    /** As {@link #resume(Session, Cursor)}, with what {@link #prepare} read for the cursor. */
    int resume(Session session, Cursor cursor, @Nullable Prepared prepared);

    /** The messages after {@code cursor}, or, when there are none, {@code wake} armed for the next one. */
    default Replay pollOrWait(Session session, Cursor cursor, int limit, Runnable wake) {
        return pollOrWait(session, cursor, limit, wake, null);
    }

    /** As {@link #pollOrWait(Session, Cursor, int, Runnable)}, with what {@link #prepare} read for the cursor. */
    Replay pollOrWait(Session session, Cursor cursor, int limit, Runnable wake, @Nullable Prepared prepared);

    /** The cursor for a poll that found nothing after {@code after}, timed now. */
    default Cursor idleCursor(Session session, Cursor after) {
        return idleCursor(session, after, null);
    }

    /** As {@link #idleCursor(Session, Cursor)}, with what {@link #prepare} read for the poll. */
    Cursor idleCursor(Session session, Cursor after, @Nullable Prepared prepared);

    /** The cursor just after the latest publish. */
    Cursor currentCursor();

    /** Where a poller with no cursor starts: {@link #currentCursor()}, or its partition's position from {@link #prepare}. */
    Cursor currentCursor(@Nullable Prepared prepared);

    /** What was held for the uid under a ttl while it was offline; taken once. */
    List<Frame> takeOffline(String uid);

    /** As {@link #takeOffline(String)}; on a partitioned log, what {@link #prepare} took from Redis. */
    List<Frame> takeOffline(String uid, @Nullable Prepared prepared);

    /** One heartbeat for every session of the transport; disposing it stops it. */
    Disposable heartbeats(String transport, Duration every);
}
