package io.pushgate.api;

import java.util.ArrayDeque;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import org.jspecify.annotations.Nullable;

/**
 * One connection's share of {@link DirectPublishing}, between the HTTP codec and Reactor Netty.
 *
 * <p>Guarantees, on a keep-alive connection that mixes both kinds of request:
 * <ul>
 * <li>answers leave in the order the requests came: a request is taken here only when no request handed
 * on to WebFlux is still unanswered, and while one taken here is being answered, whatever the client
 * sent after it waits (reading pauses) and is handled once the answer is written;</li>
 * <li>a request not taken here reaches WebFlux untouched;</li>
 * <li>the connection is closed after the answer when the client asked for that ({@code Connection:
 * close}, HTTP/1.0 without keep-alive).</li>
 * </ul>
 * All state is touched on the channel's event loop only.
 */
final class DirectPublishHandler extends ChannelDuplexHandler {

    private final DirectPublishing route;

    /** Requests handed on whose response has not ended yet. */
    private int handedOn;
    /** The request being read or answered here. */
    private @Nullable Taken taken;
    /** What arrived while an answer was pending, in order; made when first needed (most connections never are). */
    private @Nullable ArrayDeque<Object> waiting;

    private static final class Taken {
        final String path;
        final String keyId;
        /** When the request's head arrived ({@link System#nanoTime()}), for the access line; 0 when not logging. */
        final long start;
        final HttpVersion version;
        final boolean keepAlive;
        final ByteBuf body;
        final @Nullable String idempotencyKey;
        boolean answering;

        Taken(DirectPublishing.Accepted accepted, long start, HttpVersion version, boolean keepAlive, ByteBuf body,
              @Nullable String idempotencyKey) {
            this.path = accepted.path();
            this.keyId = accepted.keyId();
            this.start = start;
            this.idempotencyKey = idempotencyKey;
            this.version = version;
            this.keepAlive = keepAlive;
            this.body = body;
        }
    }

    DirectPublishHandler(DirectPublishing route) {
        this.route = route;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Taken current = taken;
        if (!replaying && (current != null && current.answering || hasWaiting())) {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            waiting.add(msg);
            if (ctx.channel().config().isAutoRead()) {
                paused = true;
                ctx.channel().config().setAutoRead(false);
            }
            return;
        }
        if (msg instanceof HttpRequest request && current == null) {
            DirectPublishing.Accepted accepted = handedOn == 0 ? route.takes(request) : null;
            if (accepted == null) {
                handedOn++;
                boolean upgrade = request.headers().contains(HttpHeaderNames.UPGRADE);
                ctx.fireChannelRead(msg);
                if (upgrade && ctx.pipeline().context(this) != null) {
                    ctx.pipeline().remove(this); // a WebSocket from here on: nothing more to take
                }
                return;
            }
            // grows as the body comes, up to what was declared: a slow client declaring a large body holds little
            int length = (int) HttpUtil.getContentLength(request, 0L);
            ByteBuf body = ctx.alloc().heapBuffer(Math.min(length, 8192), Math.max(length, 1));
            taken = new Taken(accepted, route.logging() ? System.nanoTime() : 0, request.protocolVersion(),
                    HttpUtil.isKeepAlive(request), body, request.headers().get(PublishRequests.IDEMPOTENCY_KEY));
        }
        Taken reading = taken;
        if (reading != null && msg instanceof HttpContent content) {
            try {
                reading.body.writeBytes(content.content());
            } finally {
                content.release();
            }
            if (msg instanceof LastHttpContent) {
                answer(ctx, reading);
            } else {
                readMore(ctx); // the rest of the body: nobody else asks for it
            }
            return;
        }
        if (reading != null) {
            ReferenceCountUtil.release(msg); // the request head itself
            readMore(ctx);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private boolean hasWaiting() {
        return waiting != null && !waiting.isEmpty();
    }

    /** Whether messages from {@link #waiting} are being handled, in order. */
    private boolean replaying;
    /** Whether this handler turned auto-read off, to turn it back on once nothing waits. */
    private boolean paused;

    private void answer(ChannelHandlerContext ctx, Taken request) {
        request.answering = true;
        byte[] body = new byte[request.body.readableBytes()];
        request.body.readBytes(body);
        request.body.release();
        route.publish(request.path, request.keyId, body, request.idempotencyKey).subscribe(answer -> {
            if (ctx.executor().inEventLoop()) {
                write(ctx, request, answer);
            } else {
                ctx.executor().execute(() -> write(ctx, request, answer));
            }
        }, error -> ctx.channel().close()); // publish() answers every failure itself: this cannot happen
    }

    private void write(ChannelHandlerContext ctx, Taken request, DirectPublishing.Answer answer) {
        if (request.start != 0) {
            // before the write, as WebFlux writes its line at commit: once a client has its answer, the line is there
            route.logged(request.path, request.keyId, answer, request.start);
        }
        var written = ctx.writeAndFlush(answer.response(ctx.alloc(), request.version, request.keepAlive));
        taken = null;
        if (!request.keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
            release();
            return;
        }
        boolean outer = !replaying; // an answer written synchronously during a replay continues that replay
        replaying = true;
        try {
            while (waiting != null && !waiting.isEmpty() && (taken == null || !taken.answering)) {
                channelRead(ctx, waiting.poll());
            }
        } finally {
            replaying = !outer;
        }
        if (!hasWaiting() && taken == null) {
            if (paused) {
                paused = false;
                ctx.channel().config().setAutoRead(true);
            } else {
                readMore(ctx); // the next request: Reactor Netty asks for it only after its own answers
            }
        }
    }

    /** Reactor Netty reads on demand (auto-read off): asks for the next bytes when it would not. */
    private static void readMore(ChannelHandlerContext ctx) {
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && handedOn > 0) {
            handedOn--; // WebFlux ended a response
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        Taken current = taken;
        if (current != null && !current.answering && current.body.refCnt() > 0) {
            current.body.release();
        }
        Object msg;
        while (waiting != null && (msg = waiting.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
