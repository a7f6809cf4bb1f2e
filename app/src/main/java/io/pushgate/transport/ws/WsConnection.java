package io.pushgate.transport.ws;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.Broker;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.Hub;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Outlet;
import io.pushgate.core.Names;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.PushNode;
import io.pushgate.core.Session;
import io.pushgate.core.Target;
import io.pushgate.core.TokenBucket;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.Transport;
import io.pushgate.core.history.Cursor;

import org.jspecify.annotations.Nullable;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;
import tools.jackson.databind.json.JsonMapper;

/**
 * The protocol state of one WebSocket connection: authentication, heartbeat, client frames, token
 * refresh, and the pump from the core session's queue to the socket.
 *
 * <p>Inbound frames are handled one at a time on the connection's event loop and never block; all
 * outbound frames, replies included, go through the session's bounded queue, so their order is the
 * order in which they were produced.
 */
final class WsConnection implements Transport {

    private static final Disconnect CLIENT_GONE = new Disconnect(1000, "closed by client");
    /**
     * How long a close frame may wait behind data the client has not read before the connection is cut:
     * a client that reads nothing would otherwise keep its connection, and its place in presence, forever.
     */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final WebSocketSession ws;
    private final @Nullable Channel channel;
    private volatile @Nullable ChannelOutlet outlet;
    private final PushNode node;
    private final Broker broker;
    private final DelayedDrains.Registry drains;
    private final TokenVerifier verifier;
    private final JsonFrames frames;
    private final JsonMapper mapper;
    private final WsSettings settings;
    private final TokenBucket bucket;
    /** Two heartbeats: a peer silent for longer is closed. */
    private final long silentLimitNanos;
    private final Sinks.One<Session> ready = Sinks.one();
    /** Replies sent before authentication, when there is no session queue yet; completed on start. */
    private volatile Sinks.@Nullable Many<Frame> early;
    /** Queued after each text ping: written as a WebSocket ping control frame, which browsers answer. */
    private static final Frame CONTROL_PING = ChannelOutlet.CONTROL_PING;
    private static final byte[] NO_BYTES = new byte[0];
    private volatile @Nullable Session session;
    private volatile long lastSeenNanos = System.nanoTime();
    /** Set by whichever close comes first: a close now, or the close after a graceful flush. */
    private final AtomicBoolean closing = new AtomicBoolean();
    private @Nullable Disposable authTimer;
    private @Nullable Cursor resumeFrom;
    private volatile @Nullable Disposable closeTimer;
    private int badFrames;
    private int tooBig;
    private int overRate;

    /**
     * @param channel the connection's Netty channel: frames are written to it directly and it is cut when a
     *                close frame cannot get through; {@code null} to use only Spring's session
     */
    WsConnection(WebSocketSession ws, @Nullable Channel channel, DelayedDrains.Registry drains, PushNode node, Broker broker, TokenVerifier verifier, JsonFrames frames,
                 JsonMapper mapper, WsSettings settings) {
        this.ws = ws;
        this.channel = channel;
        this.node = node;
        this.broker = broker;
        this.drains = drains;
        this.verifier = verifier;
        this.frames = frames;
        this.mapper = mapper;
        this.settings = settings;
        this.bucket = new TokenBucket(settings.framesPerSecond(), settings.frameBurst(), System.nanoTime());
        this.silentLimitNanos = settings.heartbeat().multipliedBy(2).toNanos();
    }

    @Override
    public String name() {
        return "websocket";
    }

    @Override
    public void close(Disconnect disconnect) {
        sendClose(disconnect);
    }

    /**
     * Sends the close frame once, whoever asks first (a close now, or the close after a graceful flush),
     * after the frames already queued; a peer that does not take it within {@link #CLOSE_TIMEOUT} is cut.
     * A connection that is already gone gets no close frame: sending one from inside the inbound's error
     * signal makes Reactor Netty signal that error again, and it is logged as dropped.
     */
    private void sendClose(Disconnect disconnect) {
        if (!ws.isOpen() || !closing.compareAndSet(false, true)) {
            return;
        }
        CloseStatus status = new CloseStatus(disconnect.code(), disconnect.reason());
        ChannelOutlet own = outlet;
        if (own != null && channel != null) {
            Runnable drainThenClose = () -> {
                own.run();
                closeHandshake(channel, status);
                Session s = session;
                if (s != null) {
                    node.disconnected(s); // it can receive nothing more: out of presence now, not when the peer answers
                }
            };
            if (channel.eventLoop().inEventLoop()) {
                drainThenClose.run();
            } else {
                channel.eventLoop().execute(drainThenClose);
            }
        } else {
            ws.close(status).subscribe(null, e -> { });
        }
        closeTimer = Schedulers.parallel().schedule(this::abort, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Sends the close frame, then shuts down only the output: the peer reads the frame, answers with its
     * own and closes, and the connection ends when that arrives (or {@link #abort} cuts it). Closing the
     * socket at once, as Reactor Netty's own close does, resets it when frames the client sent are still
     * unread, and a client whose socket is reset may never see the close code (it reports 1006).
     */
    private static void closeHandshake(Channel channel, CloseStatus status) {
        if (!channel.isActive()) {
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(status.getCode(), status.getReason()))
                .addListener(sent -> {
                    if (channel instanceof DuplexChannel duplex && sent.isSuccess()) {
                        duplex.shutdownOutput();
                    } else {
                        channel.close();
                    }
                });
    }

    /**
     * Ends the connection without waiting for the close frame to get through, and takes the session out
     * of presence at once rather than when the socket's reactive pipeline has wound down.
     */
    private void abort() {
        if (channel != null) {
            channel.close();
        }
        Session s = session;
        if (s != null) {
            node.disconnected(s);
        }
    }

    /** Writes straight to the channel when there is one; see {@link ChannelOutlet}. */
    @Override
    public @Nullable Outlet outlet(int capacity) {
        if (channel == null) {
            return null;
        }
        ChannelOutlet own = new ChannelOutlet(channel, capacity, drains.enabled() ? drains.of(channel.eventLoop()) : null);
        outlet = own;
        return own;
    }

    Mono<Void> run(@Nullable ClientClaims handshakeClaims, @Nullable Cursor resumeFrom) {
        this.resumeFrom = resumeFrom;
        if (handshakeClaims != null) {
            start(handshakeClaims);
        } else {
            early = Sinks.many().unicast().onBackpressureBuffer(Queues.<Frame>get(16).get());
            authTimer = Schedulers.parallel().schedule(() -> {
                if (session == null) {
                    close(Disconnect.AUTH_TIMEOUT);
                }
            }, settings.authTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        Mono<Void> inbound = ws.receive()
                .doOnNext(this::onFrame)
                .doOnError(this::onInboundError)
                .then()
                .doFinally(signal -> {
                    Session s = session;
                    if (s != null) {
                        s.close(CLIENT_GONE);
                    }
                    endEarly();
                    ready.tryEmitEmpty();
                });
        Mono<Void> live = ready.asMono().flatMap(s -> {
            ChannelOutlet own = outlet;
            return own != null ? own.drained() : ws.send(s.frames().map(this::text));
        });
        // only a connection that still has to authenticate needs a way to answer before its session exists
        Sinks.@Nullable Many<Frame> before = early;
        Mono<Void> send = (before == null ? Mono.<Void>empty() : ws.send(before.asFlux().map(this::text)))
                .then(live)
                .then(Mono.fromRunnable(this::closeAfterFlush));
        // a dropped socket ends both sides with an error; that is the normal end of a connection here
        return Mono.when(inbound.onErrorResume(e -> Mono.empty()), send.onErrorResume(e -> Mono.empty()))
                .doFinally(signal -> cleanUp());
    }

    /** Once the queue has been written out after a graceful close, send the close frame it asked for. */
    private void closeAfterFlush() {
        Session s = session;
        Disconnect reason = s == null ? null : s.disconnect();
        if (reason != null) {
            sendClose(reason);
        }
    }

    private void endEarly() {
        Sinks.@Nullable Many<Frame> before = early;
        if (before != null) {
            before.tryEmitComplete();
        }
    }

    private void cleanUp() {
        dispose(authTimer);
        dispose(closeTimer);
        Session s = session;
        if (s != null) {
            node.disconnected(s);
        }
    }

    private WebSocketMessage text(Frame frame) {
        if (frame == CONTROL_PING) {
            return ws.pingMessage(factory -> factory.wrap(NO_BYTES));
        }
        return new WebSocketMessage(WebSocketMessage.Type.TEXT, ws.bufferFactory().wrap(frame.json()));
    }

    /** A node heartbeat tick: close a peer silent for two heartbeats, else ping it both ways. */
    @Override
    public void heartbeat(Frame ping) {
        Session s = session;
        if (s == null) {
            return;
        }
        if (System.nanoTime() - lastSeenNanos > silentLimitNanos) {
            s.close(Disconnect.HEARTBEAT_TIMEOUT);
            return;
        }
        if (s.send(ping)) {
            s.send(CONTROL_PING);
        }
    }

    private void start(ClientClaims claims) {
        if (expired(claims)) {
            close(Disconnect.TOKEN_EXPIRED);
            return;
        }
        Session s = node.connect(claims, this, (registered, cursor) -> frames.welcome(registered.clientId(),
                registered.uid(), settings.heartbeat().toMillis(), registered.groups(), cursor), resumeFrom);
        if (s == null) {
            close(node.refusal());
            return;
        }
        session = s;
        dispose(authTimer);
        endEarly();
        ready.tryEmitValue(s);
    }

    private static boolean expired(ClientClaims claims) {
        return !claims.expiresAt().isAfter(Instant.now());
    }

    private void onFrame(WebSocketMessage message) {
        lastSeenNanos = System.nanoTime();
        if (message.getType() == WebSocketMessage.Type.PING || message.getType() == WebSocketMessage.Type.PONG) {
            return;
        }
        Session s = session;
        if (message.getType() == WebSocketMessage.Type.BINARY) {
            refuse(s, new ClientFrame.BadFrame("bad_frame", "binary frames are not accepted; send JSON text", null));
            return;
        }
        if (message.getPayload().readableByteCount() > settings.maxFrameBytes()) {
            reply(s, frames.error(null, "frame_too_big", "frames are limited to " + settings.maxFrameBytes() + " bytes"));
            if (++tooBig >= 2) {
                close(Disconnect.FRAME_TOO_BIG);
            }
            return;
        }
        if (!bucket.tryTake(System.nanoTime())) {
            reply(s, frames.error(null, "rate_limited", "slow down: at most " + (long) settings.framesPerSecond()
                    + " frames per second"));
            if (++overRate > settings.framesPerSecond()) {
                close(Disconnect.RATE_LIMITED);
            }
            return;
        }
        overRate = 0;
        String text = message.getPayload().toString(StandardCharsets.UTF_8);
        ClientFrame frame;
        try {
            frame = ClientFrame.parse(mapper, text);
            if (s == null) {
                handleUnauthenticated(frame);
            } else {
                handle(s, frame);
            }
            badFrames = 0;
        } catch (ClientFrame.BadFrame bad) {
            refuse(s, bad);
        }
    }

    /** A frame over the hard limit ends the inbound side with an error; tell the client why (1009). */
    private void onInboundError(Throwable error) {
        if (error instanceof TooLongFrameException || error instanceof CorruptedWebSocketFrameException corrupt
                && corrupt.closeStatus().code() == Disconnect.FRAME_TOO_BIG.code()) {
            close(Disconnect.FRAME_TOO_BIG);
        }
    }

    private void refuse(@Nullable Session s, ClientFrame.BadFrame bad) {
        reply(s, frames.error(bad.ref, bad.code, bad.getMessage()));
        if (++badFrames >= settings.maxBadFrames()) {
            close(Disconnect.BAD_FRAMES);
        }
    }

    private void reply(@Nullable Session s, Frame frame) {
        if (s != null) {
            s.send(frame);
        } else {
            Sinks.@Nullable Many<Frame> before = early;
            if (before != null) {
                before.tryEmitNext(frame); // full means a flood before auth: dropping replies is fine then
            }
        }
    }

    private void handleUnauthenticated(ClientFrame frame) throws ClientFrame.BadFrame {
        switch (frame.type()) {
            case "auth" -> {
                if (frame.token() == null || frame.token().isBlank()) {
                    throw new ClientFrame.BadFrame("bad_frame", "auth needs a token", frame.ref());
                }
                if (frame.cursor() != null) {
                    resumeFrom = cursor(frame.cursor(), frame.ref());
                }
                try {
                    start(verifier.verify(frame.token()));
                } catch (InvalidTokenException e) {
                    close(new Disconnect(4401, e.getMessage()));
                    return;
                }
                Session s = session;
                if (s != null) {
                    ok(s, frame); // after the welcome, which start() queued first
                }
            }
            case "ping" -> {
                reply(null, frames.pong());
                if (frame.ref() != null) {
                    reply(null, frames.ok(frame.ref(), null));
                }
            }
            case "pong" -> {
                if (frame.ref() != null) {
                    reply(null, frames.ok(frame.ref(), null));
                }
            }
            default -> throw new ClientFrame.BadFrame("unauthorized", "send an auth frame first", frame.ref());
        }
    }

    private void handle(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        switch (frame.type()) {
            case "pong" -> ok(s, frame);
            case "ping" -> {
                s.send(frames.pong());
                ok(s, frame);
            }
            case "join" -> join(s, frame);
            case "leave" -> {
                String group = group(frame);
                node.hub().leave(s, group);
                ok(s, frame);
            }
            case "publish" -> publish(s, frame);
            case "resume" -> resume(s, frame);
            case "refresh" -> refresh(s, frame);
            case "auth" -> throw new ClientFrame.BadFrame("already_authenticated", "this connection is already authenticated", frame.ref());
            default -> throw new ClientFrame.BadFrame("unknown_type", "unknown frame type '" + abbreviate(frame.type()) + "'", frame.ref());
        }
    }

    private void join(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        String group = group(frame);
        if (!s.claims().groups().contains(group)) {
            throw new ClientFrame.BadFrame("forbidden", "the token does not allow joining this group", frame.ref());
        }
        if (node.hub().join(s, group) == Hub.Join.TOO_MANY_GROUPS) {
            throw new ClientFrame.BadFrame("too_many_groups", "a session may be in at most "
                    + node.limits().groupsPerSession() + " groups", frame.ref());
        }
        ok(s, frame);
    }

    private void publish(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        String group = group(frame);
        if (!s.claims().publish().contains(group)) {
            throw new ClientFrame.BadFrame("forbidden", "the token does not allow publishing to this group", frame.ref());
        }
        String event = frame.event() == null ? "message" : frame.event();
        if (!Names.isValid(event)) {
            throw new ClientFrame.BadFrame("bad_frame", "event must be 1-" + Names.MAX_LENGTH
                    + " characters without spaces", frame.ref());
        }
        String data = frame.dataJson() == null ? "null" : frame.dataJson();
        Long ref = frame.ref();
        broker.publish(new Publication(Target.group(group), event, data, 0)).subscribe(result -> {
            if (ref != null) {
                s.send(frames.ok(ref, g -> {
                    g.writeStringProperty("id", result.id());
                    g.writeNumberProperty("sessions", result.sessions());
                }));
            }
        }, error -> s.send(frames.error(ref, "unavailable",
                "the cluster's broker cannot be reached, so this was not published; retry later")));
    }

    private void resume(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        Cursor cursor = cursor(frame.cursor(), frame.ref());
        int replayed = node.resume(s, cursor);
        if (frame.ref() != null) {
            s.send(frames.ok(frame.ref(), g -> {
                g.writeNumberProperty("replayed", Math.max(0, replayed));
                g.writeBooleanProperty("reset", replayed < 0);
            }));
        }
    }

    private static Cursor cursor(@Nullable String text, @Nullable Long ref) throws ClientFrame.BadFrame {
        if (text == null) {
            throw new ClientFrame.BadFrame("bad_cursor", "resume needs a cursor", ref);
        }
        try {
            return Cursor.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ClientFrame.BadFrame("bad_cursor", e.getMessage(), ref);
        }
    }

    private void refresh(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        if (frame.token() == null || frame.token().isBlank()) {
            throw new ClientFrame.BadFrame("bad_frame", "refresh needs a token", frame.ref());
        }
        ClientClaims claims;
        try {
            claims = verifier.verify(frame.token());
        } catch (InvalidTokenException e) {
            throw new ClientFrame.BadFrame("invalid_token", e.getMessage(), frame.ref());
        }
        if (!claims.uid().equals(s.uid())) {
            throw new ClientFrame.BadFrame("invalid_token", "a refreshed token must be for the same uid", frame.ref());
        }
        s.refresh(claims);
        ok(s, frame);
    }

    private static String group(ClientFrame frame) throws ClientFrame.BadFrame {
        String group = frame.group();
        if (group == null || !Names.isValid(group)) {
            throw new ClientFrame.BadFrame("bad_frame", "group must be 1-" + Names.MAX_LENGTH
                    + " characters without spaces", frame.ref());
        }
        return group;
    }

    private void ok(Session s, ClientFrame frame) {
        if (frame.ref() != null) {
            s.send(frames.ok(frame.ref(), null));
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 32 ? text : text.substring(0, 32) + "…";
    }

    private static void dispose(@Nullable Disposable disposable) {
        if (disposable != null) {
            disposable.dispose();
        }
    }
}
