package io.pushgate.bench;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Opens client sessions over WebSocket ({@code /ws}) or SSE ({@code /sse}), or as Pusher clients
 * ({@code /app/<key>}, {@code --protocol pusher}), with plain Netty: one channel, one pipeline, no
 * per-message allocation beyond Netty's pooled buffers and one scratch array per loop.
 */
final class Clients {

    private static final byte[] MESSAGE = "{\"type\":\"message\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PING = "{\"type\":\"ping\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WELCOME = "{\"type\":\"welcome\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "{\"type\":\"close\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESET = "{\"type\":\"reset\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLY = "{\"type\":\"reply\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REF = "\"ref\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK_TRUE = "\"ok\":true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CODE = "\"code\":\"".getBytes(StandardCharsets.US_ASCII);
    /** Talk: a send frame's {@code ref} is its send time, µs after this, so that its reply can be timed. */
    private static final long REF_BASE_NANOS = System.nanoTime();
    /** Receive buffer of a soak's slow reader, so that a pause backs up into the server soon. */
    static final int SLOW_RCVBUF = 4096;
    private static final byte[] PONG = "{\"type\":\"pong\"}".getBytes(StandardCharsets.US_ASCII);

    /** Per event-loop scratch: a copy of the frame being read and a decode holder. */
    private static final class Scratch {
        byte[] buf = new byte[4096];
        final Payload.Decoded decoded = new Payload.Decoded();

        byte[] fit(int n) {
            if (buf.length < n) {
                buf = new byte[Integer.highestOneBit(n) << 1];
            }
            return buf;
        }
    }

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private final Options options;
    private final Bootstrap base;
    private final boolean epoll;
    private final Metrics metrics;
    private final Tracker tracker;
    private final Hs256 signer;
    private final long tokenExpiry;
    /** Soak: follow cursors, message order and resets. */
    private final boolean cursors;
    /** Pusher protocol 7 instead of pushgate's: no token, the groups are subscribed to after the connect. */
    private final boolean pusher;

    Clients(Options options, EventLoopGroup group, Class<? extends Channel> channelType, boolean epoll, Metrics metrics,
            Tracker tracker, Hs256 signer, long tokenExpiry) {
        this.options = options;
        this.epoll = epoll;
        this.metrics = metrics;
        this.tracker = tracker;
        this.signer = signer;
        this.tokenExpiry = tokenExpiry;
        this.cursors = options.scenario.equals("soak");
        this.pusher = options.protocol.equals("pusher");
        this.base = new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.connectTimeoutMillis));
        if (epoll && options.sourceIps > 1) {
            // bind(ip, 0) would reserve a port per source IP before connect(); let connect() choose it per 4-tuple
            base.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
    }

    /** The client endpoint for session number {@code n}: round-robin over the first {@code --session-nodes} of {@code --ws-url}. */
    URI endpoint(int n) {
        URI u = options.sessionUrl(n);
        boolean sse = options.transport.equals("sse");
        String scheme = u.getScheme() == null ? "ws" : u.getScheme();
        if (sse) {
            scheme = scheme.equals("wss") || scheme.equals("https") ? "https" : "http";
        } else {
            scheme = scheme.equals("https") || scheme.equals("wss") ? "wss" : "ws";
        }
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/")
                ? (sse ? "/sse" : pusher ? "/app/" + options.pusherKey : "/ws") : u.getRawPath();
        int port = u.getPort() > 0 ? u.getPort() : 80;
        return URI.create(scheme + "://" + u.getHost() + ":" + port + path);
    }

    /** Opens {@code s}; completes when its welcome arrived, exceptionally on any failure (the channel is then closed). */
    CompletableFuture<Session> open(Session s, int n) {
        return open(s, n, null);
    }

    /**
     * Opens {@code s}, resuming from {@code cursor} ({@code ?cursor=}) when it is not null; a session may be
     * opened again once its previous connection has closed.
     */
    CompletableFuture<Session> open(Session s, int n, String cursor) {
        CompletableFuture<Session> done = new CompletableFuture<>();
        URI endpoint = endpoint(n);
        URI withToken;
        if (pusher) { // a Pusher connection has no token: its session's uid is the server's own, anonymous
            withToken = URI.create(endpoint.getScheme() + "://" + endpoint.getHost() + ":" + endpoint.getPort()
                    + PusherFrames.path(options.pusherKey));
        } else {
            String token = signer.token(s.uid, tokenExpiry, s.groups);
            // a cursor is [0-9a-z-]: nothing to encode
            withToken = URI.create(endpoint + "?token=" + token + (cursor != null ? "&cursor=" + cursor : ""));
        }
        boolean sse = options.transport.equals("sse");
        s.closingByUs = false;
        s.closeCode = 0;
        Bootstrap b = base.clone();
        if (s.slow) {
            b.option(ChannelOption.SO_RCVBUF, SLOW_RCVBUF);
        }
        if (options.sourceIps > 1) {
            b.localAddress(new InetSocketAddress("127.0.0." + (1 + Math.floorMod(n, options.sourceIps)), 0));
        }
        b.handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (sse) {
                    ch.pipeline().addLast(new HttpClientCodec(), new SseHandler(s, withToken, done));
                } else {
                    WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                            .webSocketUri(withToken)
                            .version(WebSocketVersion.V13)
                            .maxFramePayloadLength(1 << 20)
                            .handleCloseFrames(false)
                            .dropPongFrames(true)
                            .handshakeTimeoutMillis(options.connectTimeoutMillis)
                            .build();
                    ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                            new WebSocketClientProtocolHandler(config), new WsHandler(s, done));
                }
            }
        });
        b.connect(endpoint.getHost(), endpoint.getPort()).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                done.completeExceptionally(f.cause());
                return;
            }
            Channel ch = f.channel();
            s.channel = ch;
            ch.eventLoop().schedule(() -> {
                if (!done.isDone()) {
                    done.completeExceptionally(new IllegalStateException("no welcome within " + options.connectTimeoutMillis + " ms"));
                    ch.close();
                }
            }, options.connectTimeoutMillis, TimeUnit.MILLISECONDS);
        });
        return done;
    }

    /** Closes {@code s} on purpose: a 1000 close frame for WebSocket, the connection for SSE. */
    static void close(Session s) {
        s.closingByUs = true;
        Channel ch = s.channel;
        if (ch == null) {
            return;
        }
        if (ch.isActive() && ch.pipeline().get(WsHandler.class) != null) {
            ch.writeAndFlush(new CloseWebSocketFrame(1000, "bye")).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /** The welcome of this connection ({@code done}); a session's first welcome starts what it expects. */
    private void welcomed(Session s, CompletableFuture<Session> done) {
        if (done.isDone()) {
            return;
        }
        if (!s.welcomed) {
            tracker.welcomed(s);
            s.welcomed = true;
        }
        metrics.open.incrementAndGet();
        done.complete(s);
    }

    private void ended(Session s, CompletableFuture<Session> done) {
        boolean welcomedHere = done.isDone() && !done.isCompletedExceptionally();
        if (!done.isDone()) {
            done.completeExceptionally(new IllegalStateException(
                    "connection closed before welcome" + (s.closeCode != 0 ? " (close " + s.closeCode + ")" : "")));
        }
        if (welcomedHere) {
            metrics.open.decrementAndGet();
            if (!s.closingByUs) {
                metrics.disconnected(s.closeCode);
            }
        }
    }

    /**
     * A Pusher frame in {@code buf[from, to)}, answered on {@code ctx} where the protocol asks for it (a pong,
     * the subscriptions). The session is welcomed (expects what is published to its groups from then on) when
     * its last subscription succeeded: the server joins the group before it says so.
     */
    private void onPusherFrame(ChannelHandlerContext ctx, Session s, byte[] buf, int from, int to,
                               CompletableFuture<Session> done, Scratch scratch) {
        switch (PusherFrames.kind(buf, from, to)) {
            case MESSAGE -> tracker.deliveredPusher(s, buf, from, to, scratch.decoded);
            case PING -> ctx.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(PusherFrames.PONG)));
            case ESTABLISHED -> {
                if (s.groups.isEmpty()) {
                    welcomed(s, done);
                    return;
                }
                s.subscriptionsPending = s.groups.size();
                for (String g : s.groups) { // one subscribe a frame, as pusher-js sends them
                    ctx.write(new TextWebSocketFrame(PusherFrames.subscribe(g)));
                }
                ctx.flush();
            }
            case SUBSCRIBED -> {
                if (--s.subscriptionsPending == 0) {
                    welcomed(s, done);
                }
            }
            case ERROR -> {
                metrics.pusherErrors.increment();
                if (!done.isDone()) {
                    done.completeExceptionally(new IllegalStateException(
                            new String(buf, from, to - from, StandardCharsets.UTF_8)));
                    ctx.close();
                }
            }
            default -> { }
        }
    }

    /** Handles the frame in {@code buf[0, len)}; returns true when it should be answered with a pong. */
    private boolean onFrame(Session s, byte[] buf, int from, int to, CompletableFuture<Session> done, Scratch scratch) {
        if (startsWith(buf, from, to, MESSAGE)) {
            boolean first = tracker.delivered(s, buf, from, to, scratch.decoded);
            if (cursors) {
                tracker.position(s, buf, from, to, first);
            }
        } else if (startsWith(buf, from, to, PING)) {
            if (cursors) {
                String c = Cursors.string(buf, from, to, Cursors.CURSOR);
                if (c != null) {
                    s.cursor = c;
                }
            }
            return true;
        } else if (startsWith(buf, from, to, WELCOME)) {
            // a resumed connection keeps the cursor it resumed from until the replay moves it: the welcome's
            // is ahead of what the replay still has to deliver
            if (cursors && s.resumedFrom == null) {
                String c = Cursors.string(buf, from, to, Cursors.CURSOR);
                if (c != null) {
                    s.cursor = c;
                }
            }
            welcomed(s, done);
        } else if (startsWith(buf, from, to, REPLY)) {
            reply(buf, from, to);
        } else if (cursors && startsWith(buf, from, to, RESET)) {
            tracker.reset(s, Cursors.string(buf, from, to, Cursors.CURSOR));
        } else if (startsWith(buf, from, to, CLOSE)) {
            long code = Json.firstAfter(new String(buf, from, to - from, StandardCharsets.UTF_8), "{", "code");
            s.closeCode = (int) code;
        }
        return false;
    }

    /**
     * Talk: writes one {@code send} frame on {@code s}, {@code {"type":"send","event":…,"data":{"n":n},"ref":…}},
     * on its channel's event loop; false when the session is not open.
     */
    boolean send(Session s, long n) {
        Channel ch = s.channel;
        if (ch == null || !ch.isActive()) {
            return false;
        }
        if (ch.eventLoop().inEventLoop()) {
            writeSend(ch, n);
        } else {
            ch.eventLoop().execute(() -> writeSend(ch, n));
        }
        return true;
    }

    private void writeSend(Channel ch, long n) {
        long ref = (System.nanoTime() - REF_BASE_NANOS) / 1000 + 1;
        ByteBuf frame = ch.alloc().buffer(80);
        frame.writeCharSequence("{\"type\":\"send\",\"event\":\"", StandardCharsets.US_ASCII);
        frame.writeCharSequence(options.event, StandardCharsets.UTF_8);
        frame.writeCharSequence("\",\"data\":{\"n\":", StandardCharsets.US_ASCII);
        frame.writeCharSequence(Long.toString(n), StandardCharsets.US_ASCII);
        frame.writeCharSequence("},\"ref\":", StandardCharsets.US_ASCII);
        frame.writeCharSequence(Long.toString(ref), StandardCharsets.US_ASCII);
        frame.writeByte('}');
        ch.writeAndFlush(new TextWebSocketFrame(frame), ch.voidPromise());
        metrics.clientMessages.increment();
    }

    /** A reply: counted by outcome, timed from its {@code ref} (talk's send time) when it has one. */
    private void reply(byte[] buf, int from, int to) {
        int r = Bytes.indexOf(buf, from, to, REF);
        if (r >= 0) {
            long ref = 0;
            int i = r + REF.length;
            while (i < to && buf[i] >= '0' && buf[i] <= '9') {
                ref = ref * 10 + (buf[i++] - '0');
            }
            if (ref > 0) {
                metrics.recordLatency((System.nanoTime() - REF_BASE_NANOS) / 1000 + 1 - ref);
            }
        }
        if (Bytes.indexOf(buf, from, to, OK_TRUE) >= 0) {
            metrics.repliesOk.increment();
            return;
        }
        int c = Bytes.indexOf(buf, from, to, CODE);
        String code = "?";
        if (c >= 0) {
            int start = c + CODE.length;
            int end = start;
            while (end < to && buf[end] != '"') {
                end++;
            }
            code = new String(buf, start, end - start, StandardCharsets.UTF_8);
        }
        metrics.replyError(code);
    }


    private static boolean startsWith(byte[] buf, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private final class WsHandler extends ChannelInboundHandlerAdapter {
        private final Session s;
        private final CompletableFuture<Session> done;

        WsHandler(Session s, CompletableFuture<Session> done) {
            this.s = s;
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof TextWebSocketFrame text) {
                    ByteBuf content = text.content();
                    int len = content.readableBytes();
                    Scratch scratch = SCRATCH.get();
                    byte[] buf = scratch.fit(len);
                    content.getBytes(content.readerIndex(), buf, 0, len);
                    if (pusher) {
                        onPusherFrame(ctx, s, buf, 0, len, done, scratch);
                    } else if (onFrame(s, buf, 0, len, done, scratch)) {
                        ctx.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(PONG)));
                    }
                } else if (msg instanceof CloseWebSocketFrame close) {
                    s.closeCode = close.statusCode();
                    ctx.close();
                }
            } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                done.completeExceptionally(new IllegalStateException("handshake timeout"));
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ended(s, done);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }

    /** Reads a {@code text/event-stream} response: events end with a blank line; {@code data:} holds the frame JSON. */
    private final class SseHandler extends ChannelInboundHandlerAdapter {
        private final Session s;
        private final URI uri;
        private final CompletableFuture<Session> done;
        private ByteBuf pending;

        SseHandler(Session s, URI uri, CompletableFuture<Session> done) {
            this.s = s;
            this.uri = uri;
            this.done = done;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            FullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                    uri.getRawPath() + "?" + uri.getRawQuery(), Unpooled.EMPTY_BUFFER);
            get.headers().set(HttpHeaderNames.HOST, uri.getHost() + ":" + uri.getPort());
            get.headers().set(HttpHeaderNames.ACCEPT, "text/event-stream");
            get.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            ctx.writeAndFlush(get);
            pending = ctx.alloc().buffer(1024);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response && response.status().code() != 200) {
                    done.completeExceptionally(new IllegalStateException("SSE answered " + response.status()));
                    ctx.close();
                    return;
                }
                if (msg instanceof HttpContent content) {
                    pending.writeBytes(content.content());
                    drain(ctx);
                    if (msg instanceof LastHttpContent) {
                        ctx.close();
                    }
                }
            } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        private void drain(ChannelHandlerContext ctx) {
            int len = pending.readableBytes();
            if (len == 0) {
                return;
            }
            Scratch scratch = SCRATCH.get();
            byte[] buf = scratch.fit(len);
            pending.getBytes(pending.readerIndex(), buf, 0, len);
            int eventStart = 0;
            for (int i = 0; i + 1 < len; i++) {
                if (buf[i] == '\n' && buf[i + 1] == '\n') {
                    event(buf, eventStart, i, scratch);
                    eventStart = i + 2;
                    i++;
                }
            }
            pending.skipBytes(eventStart);
            pending.discardSomeReadBytes();
        }

        /** One event, {@code buf[from, to)} without its final blank line: finds the {@code data: } line. */
        private void event(byte[] buf, int from, int to, Scratch scratch) {
            int line = from;
            while (line < to) {
                int end = line;
                while (end < to && buf[end] != '\n') {
                    end++;
                }
                if (end - line > 6 && buf[line] == 'd' && buf[line + 1] == 'a' && buf[line + 2] == 't'
                        && buf[line + 3] == 'a' && buf[line + 4] == ':') {
                    int data = buf[line + 5] == ' ' ? line + 6 : line + 5;
                    onFrame(s, buf, data, end, done, scratch);
                }
                line = end + 1;
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (pending != null) {
                pending.release();
                pending = null;
            }
            ended(s, done);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}
