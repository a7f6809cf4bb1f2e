package io.pushgate.transport.sse;

import java.nio.charset.StandardCharsets;

import io.netty.channel.Channel;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Prepared;
import io.pushgate.core.Session;
import io.pushgate.core.TransportRole;
import io.pushgate.core.Cursor;

import org.jspecify.annotations.Nullable;

import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * What opening an SSE stream means, the same whether WebFlux serves the request ({@link SseHandler}) or
 * the Netty pipeline does ({@link DirectSse}): a session whose first event is the {@code welcome}
 * (then missed messages when resuming), an outlet that writes events straight to the channel, the
 * {@code close} event that ends a stream, and one heartbeat for every stream of the node.
 */
public final class SseStreams implements AutoCloseable {

    /** The header, and the query parameter for clients that cannot set it, naming the cursor to resume from. */
    static final String LAST_EVENT_ID = "Last-Event-ID";
    static final String LAST_EVENT_ID_PARAMETER = "lastEventId";
    static final Disconnect CLIENT_GONE = new Disconnect(1000, "closed by client");

    private final TransportRole node;
    private final JsonFrames frames;
    private final SseSettings settings;
    private final byte[] retry;
    private final Disposable heartbeats;

    public SseStreams(TransportRole node, JsonFrames frames, SseSettings settings) {
        this.node = node;
        this.frames = frames;
        this.settings = settings;
        this.retry = ("retry: " + settings.retry().toMillis() + "\n\n").getBytes(StandardCharsets.UTF_8);
        this.heartbeats = node.heartbeats("sse", settings.heartbeat());
    }

    /** Stops the heartbeat. */
    @Override
    public void close() {
        heartbeats.dispose();
    }

    /** A stream whose session is registered and greeted; nothing is written until its outlet is opened. */
    record Opened(Session session, SseConnection connection, @Nullable SseChannelOutlet outlet) {
    }

    /**
     * On a partitioned cluster log, what {@link #open} needs read from the cluster first (the caller waits for
     * it, back on the connection's event loop, then opens with it; it fails when the cluster cannot be read);
     * {@code null} elsewhere, where the stream opens at once.
     */
    @Nullable Mono<Prepared> prepare(ClientClaims claims, @Nullable Cursor resumeFrom) {
        return node.prepare(claims, resumeFrom);
    }

    /**
     * Registers the session of a new stream.
     *
     * @param channel  the connection's channel, which the outlet writes to; {@code null} to queue
     *                 events for the response's reactive body instead
     * @param afterEnd run on the event loop once the close event is written; {@code null} when the
     *                 caller waits for {@link SseChannelOutlet#drained()} instead
     * @param prepared what {@link #prepare} read, or {@code null} when it answered {@code null}
     * @return the stream, or {@code null} when the node refused the session ({@link #refusal()} says why)
     */
    @Nullable Opened open(@Nullable Channel channel, ClientClaims claims, @Nullable Cursor resumeFrom,
                          @Nullable Runnable afterEnd, @Nullable Prepared prepared) {
        SseConnection connection = new SseConnection(channel, this::closeEvent, afterEnd);
        Session session = node.connect(claims, connection, (s, cursor) -> frames.welcome(s.clientId(), s.uid(),
                settings.heartbeat().toMillis(), s.groups(), cursor), resumeFrom, prepared);
        if (session == null) {
            return null;
        }
        connection.attach(session);
        return new Opened(session, connection, connection.channelOutlet());
    }

    /** Why the last {@link #open} was refused: too many sessions for the uid, or the node is shutting down. */
    Disconnect refusal(String uid) {
        return node.refusal(uid);
    }

    /** The stream has ended: the session closes and leaves presence. */
    void ended(Session session) {
        session.close(CLIENT_GONE);
        node.disconnected(session);
    }

    /** The {@code retry:} line every stream starts with. */
    byte[] retry() {
        return retry;
    }

    /** The {@code close} event that ends a stream, with the session's reason. */
    byte[] closeEvent(@Nullable Session session) {
        Disconnect d = session == null ? null : session.disconnect();
        if (d == null) {
            d = CLIENT_GONE;
        }
        return SseConnection.encode(frames.close(d.code(), d.reason()));
    }

    /**
     * The cursor to resume from: the {@code Last-Event-ID} header, else the {@code lastEventId} parameter.
     *
     * @throws IllegalArgumentException when one is given that this server did not issue
     */
    static @Nullable Cursor cursor(@Nullable String header, @Nullable String parameter) {
        String text = header == null || header.isBlank() ? parameter : header;
        return text == null || text.isBlank() ? null : Cursor.parse(text.trim());
    }
}
