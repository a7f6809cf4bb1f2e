package io.pushgate.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Publishes through {@code POST /api/v1/messages} (or {@code messages:batch}), or Pusher's signed
 * {@code POST /apps/<id>/events} ({@code --publish-via pusher}, one message a request), over {@code --inflight}
 * keep-alive connections, each carrying one request at a time: the connections are the pool, and the
 * in-flight bound. Everything runs on one event loop, so its state needs no locks. With {@code --rate}
 * it paces messages on a 1 ms tick (open loop, at most 1 s of backlog; the rest is counted as
 * skipped); without, every idle connection sends at once (closed loop).
 *
 * <p>With {@code --api-stream}, publishes go over one publish stream ({@code GET /api/v1/stream}, a
 * WebSocket) per API URL instead, {@code --inflight} of them pipelined on it: the stream is in {@link #idle}
 * once per free slot, and its answers, one per publish in order, free the slots.
 */
final class Publisher {

    /** Fresh idempotency keys: unique within a run, and across runs by the prefix. */
    private static final java.util.concurrent.atomic.AtomicLong KEYS = new java.util.concurrent.atomic.AtomicLong();
    private static final String KEY_PREFIX = "bench-" + Long.toString(System.nanoTime(), 36) + "-";


    /** Picks where a message goes and counts it on the tracker once the API accepted it. */
    interface Targets {
        /** Appends the {@code "to"} object for a new message and returns a code that {@link #accepted} understands. */
        int pick(StringBuilder body, ThreadLocalRandom random);

        void accepted(int code);

        /** The one group (Pusher channel) a message {@link #pick} returned {@code code} for goes to, if it has one. */
        default String channel(int code) {
            return null;
        }

        /** The payload size of a message {@link #pick} returned {@code code} for; below 0: {@code --payload-bytes}. */
        default int payloadBytes(int code) {
            return -1;
        }
    }

    private final Options options;
    /** Messages per second, 0 = flat out: {@code --rate}, unless the scenario sums several rates. */
    private final double rate;
    private final EventLoop loop;
    private final Metrics metrics;
    private final Targets targets;
    private final long generator;
    private final Bootstrap base;
    private final ArrayDeque<Sender> idle = new ArrayDeque<>();
    private final java.util.List<StreamConn> streams = new java.util.ArrayList<>();

    /** A connection that can take one more publish now. */
    private interface Sender {
        boolean active();

        void send();

        void close();
    }
    private volatile boolean running;
    private long seq;
    private long startNanos;
    private long issued;
    private long skipped;
    private int connected;
    private ScheduledFuture<?> ticker;
    private int errorsLogged;
    /** {@code --publish-via pusher}: signs each request; used on {@link #loop} only. */
    private final PusherSigner pusher;

    Publisher(Options options, EventLoop loop, Class<? extends Channel> channelType, Metrics metrics, Targets targets,
            long generator) {
        this(options, options.rate, loop, channelType, metrics, targets, generator);
    }

    Publisher(Options options, double rate, EventLoop loop, Class<? extends Channel> channelType, Metrics metrics,
              Targets targets, long generator) {
        this.options = options;
        this.rate = rate;
        this.loop = loop;
        this.metrics = metrics;
        this.targets = targets;
        this.generator = generator;
        this.pusher = options.publishVia.equals("pusher") ? new PusherSigner(options.pusherKey, options.pusherSecret) : null;
        this.base = new Bootstrap().group(loop).channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    }

    /** Opens the API connections; returns how many are up after at most 10 s. */
    int connect() throws InterruptedException {
        int wanted = options.apiStream ? options.apiUrls.size() : options.inflight;
        for (int i = 0; i < wanted; i++) {
            URI api = options.apiUrls.get(i % options.apiUrls.size());
            loop.execute(() -> open(api));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && connectedCount() < wanted) {
            Thread.sleep(20);
        }
        return connectedCount();
    }

    private int connectedCount() {
        try {
            return loop.submit(() -> connected).get();
        } catch (Exception e) {
            return 0;
        }
    }

    private void open(URI api) {
        int port = api.getPort() > 0 ? api.getPort() : 80;
        base.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(16 << 20));
                if (options.apiStream) {
                    URI uri = URI.create("ws://" + api.getHost() + ":" + port
                            + (api.getRawPath() == null ? "" : api.getRawPath().replaceAll("/+$", "")) + "/api/v1/stream");
                    var headers = new io.netty.handler.codec.http.DefaultHttpHeaders()
                            .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + options.apiKey);
                    ch.pipeline().addLast(new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                            .webSocketUri(uri).customHeaders(headers).maxFramePayloadLength(16 << 20).build()),
                            new StreamConn(api));
                } else {
                    ch.pipeline().addLast(new Conn(api));
                }
            }
        }).connect(api.getHost(), port).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                logError("API connect to " + api + " failed: " + f.cause());
                loop.schedule(() -> open(api), 500, TimeUnit.MILLISECONDS);
            }
        });
    }

    void start() {
        loop.execute(() -> {
            running = true;
            startNanos = System.nanoTime();
            issued = 0;
            if (rate > 0) {
                ticker = loop.scheduleAtFixedRate(this::pump, 1, 1, TimeUnit.MILLISECONDS);
            }
            pump();
        });
    }

    /** Stops sending and waits (up to 10 s) for the requests in flight. */
    void stop() throws InterruptedException {
        loop.execute(() -> {
            running = false;
            if (ticker != null) {
                ticker.cancel(false);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && metrics.inflight.get() > 0) {
            Thread.sleep(5);
        }
    }

    void close() {
        loop.execute(() -> {
            for (Sender c : idle) {
                c.close();
            }
        });
    }

    long skipped() {
        return skipped;
    }

    private void pump() {
        while (running && !idle.isEmpty()) {
            if (rate > 0) {
                long due = (long) (rate * (System.nanoTime() - startNanos) / 1e9) - issued;
                if (due > rate + options.batch) { // more than a second behind: drop the backlog
                    long drop = due - (long) rate;
                    skipped += drop;
                    issued += drop;
                    due -= drop;
                }
                if (due < options.batch) {
                    return;
                }
            }
            Sender c = idle.poll();
            if (c.active()) {
                c.send();
            }
        }
        for (StreamConn stream : streams) {
            stream.flush(); // one write for every frame this round queued on it
        }
    }

    /** Appends one publish request ({@code {"to":…,"event":…,"data":…}}) and returns its target's code. */
    private int appendMessage(StringBuilder body, ThreadLocalRandom random) {
        body.append("{\"to\":");
        int code = targets.pick(body, random);
        int size = targets.payloadBytes(code);
        body.append(",\"event\":\"").append(options.event).append("\",\"data\":")
                .append(Payload.encode(generator, seq++, Clock.nowMicros(), size < 0 ? options.payloadBytes : size))
                .append('}');
        return code;
    }

    private void logError(String text) {
        if (errorsLogged++ < 10) {
            System.err.println("publish: " + text);
        }
    }

    private final class Conn extends SimpleChannelInboundHandler<FullHttpResponse> implements Sender {
        private final URI api;
        private final String host;
        private ChannelHandlerContext ctx;
        private final int[] codes = new int[options.batch];
        private int count;
        private long sentNanos;
        private boolean busy;

        Conn(URI api) {
            this.api = api;
            this.host = api.getHost() + ":" + (api.getPort() > 0 ? api.getPort() : 80);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            connected++;
            idle.add(this);
            pump();
        }

        @Override
        public boolean active() {
            return ctx.channel().isActive();
        }

        @Override
        public void close() {
            ctx.close();
        }

        @Override
        public void send() {
            if (pusher != null) {
                sendPusher();
                return;
            }
            StringBuilder body = new StringBuilder(options.batch * (options.payloadBytes + 96));
            ThreadLocalRandom random = ThreadLocalRandom.current();
            boolean batch = options.batch > 1;
            if (batch) {
                body.append('[');
            }
            count = 0;
            for (int i = 0; i < options.batch; i++) {
                if (i > 0) {
                    body.append(',');
                }
                codes[count++] = appendMessage(body, random);
            }
            if (batch) {
                body.append(']');
            }
            issued += count;
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            String path = (api.getRawPath() == null ? "" : api.getRawPath().replaceAll("/+$", ""))
                    + (batch ? "/api/v1/messages:batch" : "/api/v1/messages");
            ByteBuf content = ctx.alloc().buffer(bytes.length).writeBytes(bytes);
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, content);
            req.headers().set(HttpHeaderNames.HOST, host)
                    .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + options.apiKey)
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            if (options.idempotencyKeys && !batch) {
                req.headers().set("Idempotency-Key", KEY_PREFIX + KEYS.incrementAndGet());
            }
            write(req);
        }

        /**
         * One message through Pusher's API: {@code {"name":…,"channels":[…],"data":"<the payload as a string>"}},
         * which the server delivers to the channel's group as pushgate's API would.
         */
        private void sendPusher() {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            // pick writes pushgate's "to", which this request has no use for: the channel stands for it
            int code = targets.pick(new StringBuilder(), random);
            String channel = targets.channel(code);
            count = 0;
            codes[count++] = code;
            int size = targets.payloadBytes(code);
            StringBuilder body = new StringBuilder(options.payloadBytes + 128).append("{\"name\":");
            Json.string(body, options.event);
            body.append(",\"channels\":[");
            Json.string(body, channel);
            body.append("],\"data\":");
            Json.string(body, Payload.encode(generator, seq++, Clock.nowMicros(), size < 0 ? options.payloadBytes : size));
            body.append('}');
            issued += count;
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            String path = (api.getRawPath() == null ? "" : api.getRawPath().replaceAll("/+$", ""))
                    + "/apps/" + options.pusherAppId + "/events";
            String query = pusher.query("POST", path, bytes, System.currentTimeMillis() / 1000);
            ByteBuf content = ctx.alloc().buffer(bytes.length).writeBytes(bytes);
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path + "?" + query, content);
            req.headers().set(HttpHeaderNames.HOST, host)
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            write(req);
        }

        private void write(FullHttpRequest req) {
            busy = true;
            metrics.inflight.incrementAndGet();
            sentNanos = System.nanoTime();
            ctx.writeAndFlush(req);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            metrics.recordApiLatency((System.nanoTime() - sentNanos) / 1_000);
            finish();
            metrics.requests.increment();
            String text = res.content().toString(StandardCharsets.UTF_8);
            if (res.status().code() == 200) {
                for (int i = 0; i < count; i++) {
                    targets.accepted(codes[i]);
                }
                metrics.published.add(count);
                metrics.serverReached.add(Json.sumOf(text, "sessions"));
            } else {
                metrics.publishErrors.add(count);
                logError(res.status() + " " + text);
            }
            if (!HttpUtil.isKeepAlive(res)) {
                ctx.close();
                return;
            }
            idle.add(this);
            if (rate <= 0) {
                pump();
            }
        }

        private void finish() {
            if (busy) {
                busy = false;
                metrics.inflight.decrementAndGet();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connected--;
            idle.remove(this);
            if (busy) {
                metrics.publishErrors.add(count);
                logError("API connection closed with a request in flight");
            }
            finish();
            if (running) {
                loop.schedule(() -> open(api), 100, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logError("API connection: " + cause);
            ctx.close();
        }
    }
    /**
     * One publish stream: publishes are written as they are issued (flushed once per {@link #pump} round),
     * and each answer, in order, settles the oldest one and frees its slot.
     */
    private final class StreamConn extends SimpleChannelInboundHandler<TextWebSocketFrame> implements Sender {
        private final URI api;
        private ChannelHandlerContext ctx;
        /** Publishes written and not answered yet, oldest first: {sent nanos, target code}. */
        private final ArrayDeque<long[]> pending = new ArrayDeque<>();
        private boolean open;
        private boolean dirty;

        StreamConn(URI api) {
            this.api = api;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                open = true;
                connected++;
                streams.add(this);
                for (int i = 0; i < options.inflight; i++) {
                    idle.add(this);
                }
                pump();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public boolean active() {
            return open && ctx.channel().isActive();
        }

        @Override
        public void close() {
            ctx.close();
        }

        @Override
        public void send() {
            StringBuilder body = new StringBuilder(options.payloadBytes + 96);
            int code = appendMessage(body, ThreadLocalRandom.current());
            issued++;
            metrics.inflight.incrementAndGet();
            pending.add(new long[] {System.nanoTime(), code});
            ctx.write(new TextWebSocketFrame(body.toString()));
            dirty = true;
        }

        void flush() {
            if (dirty) {
                dirty = false;
                ctx.flush();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            long[] settled = pending.poll();
            if (settled == null) {
                logError("stream answer with nothing pending: " + frame.text());
                return;
            }
            metrics.recordApiLatency((System.nanoTime() - settled[0]) / 1_000);
            metrics.inflight.decrementAndGet();
            metrics.requests.increment();
            String text = frame.text();
            if (text.contains("\"ok\":true")) {
                targets.accepted((int) settled[1]);
                metrics.published.increment();
                metrics.serverReached.add(Json.sumOf(text, "sessions"));
            } else {
                metrics.publishErrors.increment();
                logError(text);
            }
            idle.add(this);
            if (rate <= 0) {
                pump();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (open) {
                open = false;
                connected--;
                streams.remove(this);
                idle.removeIf(c -> c == this);
            }
            if (!pending.isEmpty()) {
                metrics.publishErrors.add(pending.size());
                metrics.inflight.addAndGet(-pending.size());
                logError("publish stream closed with " + pending.size() + " publishes in flight");
                pending.clear();
            }
            if (running) {
                loop.schedule(() -> open(api), 100, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logError("publish stream: " + cause);
            ctx.close();
        }
    }
}
