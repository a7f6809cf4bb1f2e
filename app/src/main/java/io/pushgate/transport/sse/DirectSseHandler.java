package io.pushgate.transport.sse;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.pushgate.web.HttpStage;

import org.jspecify.annotations.Nullable;

/**
 * One connection's share of {@link DirectSse}, right after the HTTP codec. It takes a {@code /sse}
 * request that {@link DirectSse#admit} accepts, and only when no earlier request on the connection is
 * still being answered by WebFlux (so answers keep their order); every other message goes on untouched,
 * and so does a taken request whose session the node refuses, for WebFlux to answer. Taking a stream
 * turns the connection into that one response: Reactor Netty's HTTP handlers leave the pipeline, an
 * {@link SseStreamHandler} takes this one's place, and the channel reads as fast as bytes come (a client
 * sends nothing more; reading lets the server see it go). All state is touched on the event loop only.
 */
final class DirectSseHandler extends ChannelDuplexHandler {

    private final DirectSse route;
    /** Requests handed on whose response has not ended yet. */
    private int handedOn;
    /** The request taken, while its end (an empty last content) is still to come. */
    private @Nullable HttpRequest taken;
    private DirectSse.@Nullable Admission admission;

    DirectSseHandler(DirectSse route) {
        this.route = route;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        HttpRequest request = taken;
        if (request != null) {
            if (msg instanceof LastHttpContent) {
                taken = null;
                finish(ctx, request, msg);
            } else {
                ReferenceCountUtil.release(msg); // admit() took no request with a body: nothing to keep
                ctx.read();
            }
            return;
        }
        if (msg instanceof HttpRequest candidate) {
            DirectSse.Admission admitted = handedOn == 0 ? route.admit(candidate) : null;
            if (admitted == null) {
                handedOn++;
                ctx.fireChannelRead(msg);
                return;
            }
            admission = admitted;
            if (msg instanceof LastHttpContent) {
                finish(ctx, candidate, null);
            } else {
                taken = candidate;
                ctx.read(); // Reactor Netty reads on demand, and it will not ask for the rest of this request
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && handedOn > 0) {
            handedOn--; // WebFlux ended a response
        }
        ctx.write(msg, promise);
    }

    /** Starts the stream; when the node refuses its session, hands the request (and its end) to WebFlux. */
    private void finish(ChannelHandlerContext ctx, HttpRequest request, @Nullable Object last) {
        DirectSse.Admission admitted = admission;
        admission = null;
        Channel channel = ctx.channel();
        SseStreams streams = route.streams();
        SseStreamHandler stream = new SseStreamHandler(channel, streams);
        SseStreams.Opened opened = admitted == null ? null
                : streams.open(channel, admitted.claims(), admitted.cursor(), stream::end);
        if (opened == null || opened.outlet() == null) {
            handedOn++;
            ctx.fireChannelRead(request);
            if (last != null) {
                ctx.fireChannelRead(last);
            }
            return;
        }
        if (last != null) {
            ReferenceCountUtil.release(last);
        }
        stream.attach(opened.session());
        route.took();
        HttpStage.leave(ctx.pipeline(), this);
        ctx.pipeline().replace(this, HttpStage.SSE, stream);
        channel.write(DirectSse.head());
        channel.writeAndFlush(Unpooled.wrappedBuffer(streams.retry()));
        channel.config().setAutoRead(true);
        opened.outlet().open(); // the welcome, then whatever was queued since
    }
}
