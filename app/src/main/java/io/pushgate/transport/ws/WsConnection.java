package io.pushgate.transport.ws;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.BackendCallException;
import io.pushgate.core.ClientActions;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.ClientRefusal;
import io.pushgate.core.ConnectProxy;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Outlet;
import io.pushgate.core.Prepared;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Session;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.TokenBucket;
import io.pushgate.core.Transport;
import io.pushgate.core.TransportRole;
import io.pushgate.core.Cursor;
import io.pushgate.web.Unauthenticated;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The protocol state of one WebSocket connection: authentication, heartbeat, client frames, token
 * refresh, and the close handshake. It knows only the connection's Netty channel, so the same state
 * serves an upgrade taken straight from Netty ({@link DirectWebSocket}) and one made through WebFlux
 * ({@link PushWebSocketHandler}): each feeds it the frames it reads and tells it when the channel is gone.
 *
 * <p>Every {@code on...} method is called on the channel's event loop, one at a time, and none blocks.
 * Outbound frames go through the session's bounded outlet, which writes straight to the channel, so
 * their order is the order in which they were produced; only replies to frames sent before
 * authentication, when there is no session yet, and pongs to the client's WebSocket pings are written
 * directly, and only while the channel is writable.
 *
 * <p>Bounds on what a client can make the server hold: the session's queue ({@code pushgate.session.queue},
 * welcome and replays included); Netty's outbound buffer, which a direct write may fill only up to its
 * high-water mark (past it a client that asks for more, by a ping or a frame before it authenticated,
 * is closed with 4408 instead of buffering more); before authentication a 16 KiB frame
 * ({@link WsSettings#AUTH_FRAME_LIMIT}), and a place among the node's unauthenticated connections
 * ({@link Unauthenticated}), given back once it authenticates or ends.
 *
 * <p>Why one class of about 600 lines: it is one connection's state machine, and every mutable field is
 * confined to the channel's event loop. Split into classes, that confinement would have to be kept
 * across them by convention; here it is visible in one place. The rules it applies are not its own:
 * client rules are {@link io.pushgate.core.ClientActions}, frames {@code JsonFrames}.
 */
final class WsConnection implements Transport {

    private static final Disconnect CLIENT_GONE = new Disconnect(1000, "closed by client");
    /**
     * How long a close frame may wait behind data the client has not read before the connection is cut:
     * a client that reads nothing would otherwise keep its connection, and its place in presence, forever.
     */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** Queued after each text ping: written as a WebSocket ping control frame, which browsers answer. */
    private static final Frame CONTROL_PING = ChannelOutlet.CONTROL_PING;

    private final Channel channel;
    private final Shared shared;
    /** The configuration of the path's WebSocket decoder, at the full frame limit. */
    private final WebSocketDecoderConfig decoderConfig;
    /** Whether the decoder is the small one read before authentication; event loop only. */
    private boolean authDecoder;
    private final TokenBucket bucket;
    private volatile @Nullable ChannelOutlet outlet;
    private volatile @Nullable Session session;
    private volatile long lastSeenNanos = System.nanoTime();
    /** Set by whichever close comes first: a close now, a close after a graceful flush, the client's close. */
    private volatile int closing;
    private static final AtomicIntegerFieldUpdater<WsConnection> CLOSING =
            AtomicIntegerFieldUpdater.newUpdater(WsConnection.class, "closing");
    private @Nullable ScheduledFuture<?> authTimer;
    private volatile @Nullable ScheduledFuture<?> closeTimer;
    private @Nullable Cursor resumeFrom;
    /** Its place among unauthenticated connections, while it has one; released once, from the event loop. */
    private Unauthenticated.@Nullable Permit pending;
    private int badFrames;
    private int tooBig;
    private int overRate;
    /** What the connect proxy is told of the handshake (the token left out), when it is on; event loop only. */
    private ConnectProxy.@Nullable Attempt handshake;
    /**
     * Whether an {@code auth} frame's token is with the connect proxy, or the session's state is being read
     * from the cluster before it connects ({@link TransportRole#prepare}); event loop only.
     */
    private boolean authenticating;
    /** Frames that came while {@link #authenticating}, handled once it is done; event loop only. */
    private @Nullable ArrayDeque<ClientFrame> held;

    /** Frames a client may send while its {@code auth} frame is with the backend; one more closes it (4429). */
    static final int MAX_HELD_FRAMES = 16;

    /** What every WebSocket connection of the node shares. */
    record Shared(TransportRole node, ClientActions actions, TokenVerifier verifier, JsonFrames frames, JsonMapper mapper,
                  WsSettings settings, DelayedDrains.Registry drains, Unauthenticated unauthenticated, ConnectProxy proxy) {
    }

    /**
     * @param decoderConfig how the upgrade path configured its WebSocket decoder (at the full frame
     *                      limit), so that the decoder can be replaced with the same one at another limit
     */
    WsConnection(Channel channel, Shared shared, WebSocketDecoderConfig decoderConfig) {
        this.channel = channel;
        this.shared = shared;
        this.decoderConfig = decoderConfig;
        this.bucket = new TokenBucket(shared.settings.framesPerSecond(), shared.settings.frameBurst(), System.nanoTime());
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
     * The upgrade is done: starts the session with the claims of the token the handshake carried, or
     * gives the client {@link WsSettings#authTimeout()} to send an {@code auth} frame.
     *
     * @param resumeFrom the cursor given as {@code ?cursor=} to resume from, or {@code null}
     * @param pending    the connection's place among unauthenticated ones, released once it authenticates
     *                   or ends; {@code null} with handshake claims
     * @param handshake  what the connect proxy is told of the handshake when an {@code auth} frame's token is
     *                   not a valid JWT (its token is the frame's), or {@code null} when the proxy is off
     */
    void open(@Nullable ClientClaims handshakeClaims, @Nullable Cursor resumeFrom, Unauthenticated.@Nullable Permit pending,
              ConnectProxy.@Nullable Attempt handshake) {
        this.resumeFrom = resumeFrom;
        this.pending = pending;
        this.handshake = handshake;
        if (handshakeClaims != null) {
            start(handshakeClaims, null, false);
        } else {
            authDecoder = true;
            limitDecoder(WsSettings.AUTH_FRAME_LIMIT);
            authTimer = channel.eventLoop().schedule(() -> {
                if (session == null) {
                    close(Disconnect.AUTH_TIMEOUT);
                }
            }, shared.settings.authTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Called on the event loop after each frame was handled: once the connection has authenticated, its
     * decoder takes frames up to the full limit again. Done here, after the {@code auth} frame and its
     * answers, rather than while it is handled, because the old decoder hands the bytes it has not
     * decoded yet to the new one at once: the frames after {@code auth} then follow it, in order.
     */
    void afterFrame() {
        if (authDecoder && session != null) {
            authDecoder = false;
            limitDecoder(decoderConfig.maxFramePayloadLength());
        }
    }

    /**
     * Replaces the channel's WebSocket decoder with one that refuses frames over {@code limit} (1009),
     * the same otherwise, and so for the aggregator of fragmented messages when there is one (WebFlux's).
     * Before authentication that is {@link WsSettings#AUTH_FRAME_LIMIT}: the decoder gathers a whole
     * frame, and the aggregator a whole message, before handing it on, so their limits, not the
     * connection's check, bound the bytes an unauthenticated connection makes the server hold. The new
     * decoder goes right after the old, which on removal passes it the bytes it held, so nothing read is
     * lost; the aggregator is replaced between messages (see {@link #afterFrame()}).
     */
    private void limitDecoder(int limit) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> limitDecoder(limit));
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        ChannelHandlerContext decoder = pipeline.context(WebSocketFrameDecoder.class);
        if (decoder == null || !channel.isActive()) {
            return;
        }
        pipeline.addAfter(decoder.name(), "pushgate.wsdecoder." + limit,
                new WebSocket13FrameDecoder(decoderConfig.toBuilder().maxFramePayloadLength(limit).build()));
        pipeline.remove(decoder.handler());
        ChannelHandlerContext aggregator = pipeline.context(WebSocketFrameAggregator.class);
        if (aggregator != null) {
            pipeline.replace(aggregator.handler(), "pushgate.wsaggregator." + limit, new WebSocketFrameAggregator(limit));
        }
    }

    /** The largest message a connection's own joining of fragments may reach now ({@link WsFrameHandler}). */
    int frameLimit() {
        return authDecoder ? WsSettings.AUTH_FRAME_LIMIT : decoderConfig.maxFramePayloadLength();
    }

    /** The channel is gone: the session ends and leaves presence. */
    void closed() {
        releasePending();
        Session s = session;
        if (s != null) {
            s.close(CLIENT_GONE);
        }
        cancel(authTimer);
        cancel(closeTimer);
        if (s != null) {
            shared.node.disconnected(s);
        }
    }

    /**
     * The client's close frame. When the server's went first this is the answer, and the connection
     * ends; otherwise it is echoed, as RFC 6455 asks, and the connection ends once the echo is written.
     */
    void onCloseFrame(CloseWebSocketFrame frame) {
        lastSeenNanos = System.nanoTime();
        if (!CLOSING.compareAndSet(this, 0, 1)) {
            channel.close();
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(true, 0, frame.content().retainedDuplicate()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** A pong from the client: proof of life. */
    void onControl() {
        lastSeenNanos = System.nanoTime();
    }

    /**
     * A WebSocket ping from the client: proof of life, answered with a pong. The pong goes straight to
     * the channel, so it is only written while the channel is writable: a client that pings and reads
     * nothing has its pongs pile up in Netty's outbound buffer, and once that is past its high-water mark
     * the next ping closes the connection (4408) rather than grow it. Once closing, pings are not answered.
     */
    void onPing(ByteBuf payload) {
        lastSeenNanos = System.nanoTime();
        if (closing != 0 || !channel.isActive()) {
            return;
        }
        if (!channel.isWritable()) {
            close(Disconnect.SLOW_CLIENT);
            return;
        }
        channel.writeAndFlush(new PongWebSocketFrame(payload.retainedDuplicate()), channel.voidPromise());
    }

    /**
     * A frame the decoder could not accept: over the hard size limit (1009), or broken (with the close
     * code the decoder chose). The client is told why before the connection ends.
     */
    void onBrokenFrame(Throwable error) {
        if (error instanceof TooLongFrameException) {
            close(Disconnect.FRAME_TOO_BIG);
        } else if (error instanceof CorruptedWebSocketFrameException corrupt) {
            int code = corrupt.closeStatus().code();
            close(code == Disconnect.FRAME_TOO_BIG.code() ? Disconnect.FRAME_TOO_BIG
                    : new Disconnect(code, corrupt.closeStatus().reasonText()));
        } else {
            channel.close();
        }
    }

    /**
     * Sends the close frame once, whoever asks first, after the frames already queued; a peer that does
     * not take it within {@link #CLOSE_TIMEOUT} is cut. Called from any thread.
     */
    private void sendClose(Disconnect disconnect) {
        if (!channel.isActive() || !CLOSING.compareAndSet(this, 0, 1)) {
            return;
        }
        Runnable drainThenClose = () -> {
            ChannelOutlet own = outlet;
            if (own != null) {
                own.run();
            }
            closeHandshake(disconnect);
            Session s = session;
            if (s != null) {
                s.endedWith(disconnect);
                shared.node.disconnected(s); // it can receive nothing more: out of presence now, not when the peer answers
            }
        };
        if (channel.eventLoop().inEventLoop()) {
            drainThenClose.run();
        } else {
            channel.eventLoop().execute(drainThenClose);
        }
        closeTimer = channel.eventLoop().schedule(this::abort, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Sends the close frame, then shuts down only the output: the peer reads the frame, answers with its
     * own and closes, and the connection ends when that arrives (or {@link #abort} cuts it). Closing the
     * socket at once resets it when frames the client sent are still unread, and a client whose socket is
     * reset may never see the close code (it reports 1006).
     */
    private void closeHandshake(Disconnect disconnect) {
        if (!channel.isActive()) {
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(disconnect.code(), disconnect.reason()))
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
     * of presence at once rather than when the channel has wound down.
     */
    private void abort() {
        channel.close();
        Session s = session;
        if (s != null) {
            shared.node.disconnected(s);
        }
    }

    /** Writes straight to the channel; see {@link ChannelOutlet}. */
    @Override
    public Outlet outlet(int capacity) {
        DelayedDrains.Registry drains = shared.drains;
        ChannelOutlet own = new ChannelOutlet(channel, capacity, drains.enabled() ? drains.of(channel.eventLoop()) : null,
                this::closeAfterFlush);
        outlet = own;
        return own;
    }

    /** Once the outlet has written everything after a graceful close, sends the close frame it asked for. */
    private void closeAfterFlush() {
        Session s = session;
        Disconnect reason = s == null ? null : s.disconnect();
        if (reason != null) {
            sendClose(reason);
        }
    }

    /** A node heartbeat tick: close a peer silent for two heartbeats, else ping it both ways. */
    @Override
    public void heartbeat(Frame ping) {
        Session s = session;
        if (s == null) {
            return;
        }
        if (System.nanoTime() - lastSeenNanos > shared.settings.heartbeat().toNanos() * 2) {
            s.close(Disconnect.HEARTBEAT_TIMEOUT);
            return;
        }
        if (s.send(ping)) {
            s.send(CONTROL_PING);
        }
    }

    /**
     * Opens the session. On a partitioned cluster log its state is read from the cluster first: until that
     * answers, frames the client sends are held as while the connect proxy is asked, and a connection that
     * ends meanwhile never connects; when the cluster cannot be read it closes with 1013, so the client
     * reconnects and nothing is lost. Elsewhere the session opens at once, here.
     *
     * @param auth         the {@code auth} frame whose token opened it, answered after the welcome; or {@code null}
     * @param betweenFrames called off the handling of a frame (after the connect proxy answered), where the
     *                     frames held meanwhile are handled once the session is open
     */
    private void start(ClientClaims claims, @Nullable ClientFrame auth, boolean betweenFrames) {
        if (expired(claims)) {
            releasePending();
            close(Disconnect.TOKEN_EXPIRED);
            return;
        }
        Mono<Prepared> preparing = shared.node.prepare(claims, resumeFrom);
        if (preparing == null) {
            connect(claims, null, auth, betweenFrames);
            return;
        }
        authenticating = true;
        preparing.subscribe(prepared -> channel.eventLoop().execute(() -> {
            authenticating = false;
            if (closing != 0 || !channel.isActive()) {
                held = null;
                return; // gone while the cluster answered: closed() released its place
            }
            connect(claims, prepared, auth, true);
        }), error -> channel.eventLoop().execute(() -> {
            authenticating = false;
            held = null;
            releasePending();
            close(Disconnect.TRY_AGAIN_LATER);
        }));
    }

    private void connect(ClientClaims claims, @Nullable Prepared prepared, @Nullable ClientFrame auth, boolean betweenFrames) {
        releasePending();
        Session s = shared.node.connect(claims, this, (registered, cursor) -> shared.frames.welcome(registered.clientId(),
                registered.uid(), shared.settings.heartbeat().toMillis(), registered.groups(), cursor), resumeFrom, prepared);
        if (s == null) {
            held = null;
            close(shared.node.refusal(claims.uid()));
            return;
        }
        session = s;
        cancel(authTimer);
        if (auth != null) {
            ok(s, auth); // after the welcome, which connect queued first
        }
        if (betweenFrames) {
            ArrayDeque<ClientFrame> waiting = held;
            held = null;
            afterFrame(); // between frames here: the decoder takes the full limit again
            if (waiting != null) {
                for (ClientFrame next : waiting) {
                    try {
                        handle(s, next);
                        badFrames = 0;
                    } catch (ClientFrame.BadFrame bad) {
                        refuse(s, bad);
                    }
                }
            }
        }
    }

    private void releasePending() {
        Unauthenticated.Permit permit = pending;
        if (permit != null) {
            pending = null;
            permit.release();
        }
    }

    private static boolean expired(ClientClaims claims) {
        return !claims.expiresAt().isAfter(Instant.now());
    }

    /** A binary frame: refused, since the protocol is JSON text. */
    void onBinary() {
        lastSeenNanos = System.nanoTime();
        refuse(session, new ClientFrame.BadFrame("bad_frame", "binary frames are not accepted; send JSON text", null));
    }

    /** A whole text frame: checked against the size and rate limits, then parsed and handled. */
    void onText(ByteBuf payload) {
        lastSeenNanos = System.nanoTime();
        Session s = session;
        WsSettings settings = shared.settings;
        JsonFrames frames = shared.frames;
        // a handshake's token vouched for a connection whose session waits for the cluster: its frames are held
        if (s == null && (authDecoder || !authenticating) && payload.readableBytes() > WsSettings.AUTH_FRAME_LIMIT) {
            close(Disconnect.FRAME_TOO_BIG); // nobody has vouched for it yet: no second chance
            return;
        }
        if (payload.readableBytes() > settings.maxFrameBytes()) {
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
        // RFC 6455 8.1: a text frame that is not UTF-8 fails the connection with 1007. Checked here, for
        // both upgrade paths, since decoding would silently replace the bad bytes. Client frames only:
        // this costs a pass over bytes about to be parsed anyway, nothing on the fan-out path.
        if (!ByteBufUtil.isText(payload, StandardCharsets.UTF_8)) {
            close(Disconnect.INVALID_UTF8);
            return;
        }
        String text = payload.toString(StandardCharsets.UTF_8);
        ClientFrame frame;
        try {
            frame = ClientFrame.parse(shared.mapper, text);
            if (s == null && authenticating) {
                hold(frame);
            } else if (s == null) {
                handleUnauthenticated(frame);
            } else {
                handle(s, frame);
            }
            badFrames = 0;
        } catch (ClientFrame.BadFrame bad) {
            refuse(s, bad);
        }
    }

    private void refuse(@Nullable Session s, ClientFrame.BadFrame bad) {
        reply(s, shared.frames.error(bad.ref, bad.code, bad.getMessage()));
        if (++badFrames >= shared.settings.maxBadFrames()) {
            close(Disconnect.BAD_FRAMES);
        }
    }

    /**
     * Replies through the session's outlet, or straight to the channel before authentication. A client
     * that sends frames before authenticating and reads none of the replies is closed (4408) once the
     * channel stops being writable (Netty's outbound buffer past its high-water mark), as a session whose
     * queue is full would be: the replies never pile up beyond that mark.
     */
    private void reply(@Nullable Session s, Frame frame) {
        if (s != null) {
            s.send(frame);
        } else if (channel.isWritable()) {
            channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(frame.json())), channel.voidPromise());
        } else {
            close(Disconnect.SLOW_CLIENT);
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
                ConnectProxy.Attempt base = handshake;
                ClientClaims claims;
                try {
                    claims = (base == null ? shared.verifier : shared.verifier.uncounted()).verify(frame.token());
                } catch (InvalidTokenException e) {
                    if (base == null) {
                        close(new Disconnect(4401, e.getMessage()));
                    } else {
                        askBackend(base, frame);
                    }
                    return;
                }
                start(claims, frame, false);
            }
            case "ping" -> {
                reply(null, shared.frames.pong());
                if (frame.ref() != null) {
                    reply(null, shared.frames.ok(frame.ref(), null));
                }
            }
            case "pong" -> {
                if (frame.ref() != null) {
                    reply(null, shared.frames.ok(frame.ref(), null));
                }
            }
            default -> throw new ClientFrame.BadFrame("unauthorized", "send an auth frame first", frame.ref());
        }
    }

    /**
     * The {@code auth} frame's token is not a valid JWT: the connect proxy asks the backend. Until it answers
     * the connection holds the frames that follow (at most {@link #MAX_HELD_FRAMES}), and handles them, in
     * order, after the welcome; a refusal closes it with the backend's code (4401, 4403, 4429) or 1013 when
     * the backend could not answer. The answer comes on the HTTP client's thread and is handled on the
     * connection's event loop.
     */
    private void askBackend(ConnectProxy.Attempt base, ClientFrame frame) {
        authenticating = true;
        ConnectProxy.Attempt attempt = new ConnectProxy.Attempt(frame.token(), base.transport(), base.remoteAddress(),
                base.headers(), base.query());
        shared.proxy.admit(attempt).subscribe(
                claims -> channel.eventLoop().execute(() -> admitted(claims, frame)),
                error -> channel.eventLoop().execute(() -> {
                    authenticating = false;
                    held = null;
                    close(error instanceof ConnectProxy.Refused refused ? refused.disconnect()
                            : Disconnect.TRY_AGAIN_LATER);
                }));
    }

    private void admitted(ClientClaims claims, ClientFrame frame) {
        authenticating = false;
        if (closing != 0 || !channel.isActive()) {
            held = null;
            return; // gone while the backend answered; closed() released its place
        }
        start(claims, frame, true);
    }

    private void hold(ClientFrame frame) {
        ArrayDeque<ClientFrame> queue = held;
        if (queue == null) {
            queue = new ArrayDeque<>();
            held = queue;
        }
        if (queue.size() >= MAX_HELD_FRAMES) {
            close(Disconnect.RATE_LIMITED);
            return;
        }
        queue.add(frame);
    }

    private void handle(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        switch (frame.type()) {
            case "pong" -> ok(s, frame);
            case "ping" -> {
                s.send(shared.frames.pong());
                ok(s, frame);
            }
            case "join" -> {
                try {
                    shared.actions.join(s, frame.group());
                } catch (ClientRefusal refusal) {
                    throw refused(refusal, frame);
                }
                ok(s, frame);
            }
            case "leave" -> {
                try {
                    shared.actions.leave(s, frame.group());
                } catch (ClientRefusal refusal) {
                    throw refused(refusal, frame);
                }
                ok(s, frame);
            }
            case "publish" -> publish(s, frame);
            case "send" -> {
                try {
                    shared.actions.send(s, frame.event(), frame.dataJson());
                } catch (ClientRefusal refusal) {
                    throw refused(refusal, frame);
                }
                ok(s, frame);
            }
            case "rpc" -> call(s, frame);
            case "resume" -> resume(s, frame);
            case "refresh" -> refresh(s, frame);
            case "auth" -> throw new ClientFrame.BadFrame("already_authenticated", "this connection is already authenticated", frame.ref());
            default -> throw new ClientFrame.BadFrame("unknown_type", "unknown frame type '" + abbreviate(frame.type()) + "'", frame.ref());
        }
    }

    /** The client's error frame for a refusal: the core's code and message as they are. */
    private static ClientFrame.BadFrame refused(ClientRefusal refusal, ClientFrame frame) {
        return new ClientFrame.BadFrame(refusal.code(), refusal.getMessage(), frame.ref());
    }

    private void publish(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        Mono<PublishResult> published;
        try {
            published = shared.actions.publish(s.claims(), frame.group(), frame.event(), frame.dataJson());
        } catch (ClientRefusal refusal) {
            throw refused(refusal, frame);
        }
        Long ref = frame.ref();
        published.subscribe(result -> {
            if (ref != null) {
                s.send(shared.frames.ok(ref, g -> {
                    g.writeStringProperty("id", result.id());
                    g.writeNumberProperty("sessions", result.sessions());
                }));
            }
        }, error -> s.send(shared.frames.error(ref, "unavailable",
                "the cluster's broker cannot be reached, so this was not published; retry later")));
    }

    /** The backend's answer comes back as the reply to the frame's {@code ref}, which a call must carry. */
    private void call(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        Long ref = frame.ref();
        if (ref == null) {
            throw new ClientFrame.BadFrame("bad_frame", "an rpc frame needs a ref: its answer comes back as the reply to it", null);
        }
        Mono<String> answer;
        try {
            answer = shared.actions.call(s, frame.method(), frame.dataJson());
        } catch (ClientRefusal refusal) {
            throw refused(refusal, frame);
        }
        answer.subscribe(json -> s.send(shared.frames.answer(ref, json)), error -> s.send(error instanceof BackendCallException failed
                ? shared.frames.error(ref, failed.code().wire(), failed.getMessage())
                : shared.frames.error(ref, "rpc_failed", "the call failed")));
    }

    /**
     * On a partitioned cluster log what the session missed is read from the cluster first; the replay is
     * then made on the event loop, unless the session ended meanwhile. When the cluster cannot be read the
     * client is told {@code unavailable} and nothing was replayed: it may send the same resume again.
     */
    private void resume(Session s, ClientFrame frame) throws ClientFrame.BadFrame {
        Cursor cursor = cursor(frame.cursor(), frame.ref());
        Mono<Prepared> preparing = shared.node.prepare(s.claims(), cursor);
        if (preparing == null) {
            resumed(s, cursor, null, frame.ref());
            return;
        }
        Long ref = frame.ref();
        preparing.subscribe(prepared -> channel.eventLoop().execute(() -> {
            if (!s.isClosed()) {
                resumed(s, cursor, prepared, ref);
            }
        }), error -> s.send(shared.frames.error(ref, "unavailable",
                "the cluster's broker cannot be reached, so nothing was resumed; retry later")));
    }

    private void resumed(Session s, Cursor cursor, @Nullable Prepared prepared, @Nullable Long ref) {
        int replayed = shared.node.resume(s, cursor, prepared);
        if (ref != null) {
            s.send(shared.frames.ok(ref, g -> {
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
            claims = shared.verifier.verify(frame.token());
        } catch (InvalidTokenException e) {
            throw new ClientFrame.BadFrame("invalid_token", e.getMessage(), frame.ref());
        }
        if (!claims.uid().equals(s.uid())) {
            throw new ClientFrame.BadFrame("invalid_token", "a refreshed token must be for the same uid", frame.ref());
        }
        s.refresh(claims);
        ok(s, frame);
    }

    private void ok(Session s, ClientFrame frame) {
        if (frame.ref() != null) {
            s.send(shared.frames.ok(frame.ref(), null));
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 32 ? text : text.substring(0, 32) + "…";
    }

    private static void cancel(@Nullable ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
