package io.pushgate.transport.sse;

import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushgate.core.Session;

import org.jspecify.annotations.Nullable;

/**
 * The end of a stream taken by {@link DirectSseHandler}: once the outlet has written the {@code close}
 * event, the chunked response ends and the connection closes; a peer that does not read it within
 * {@link SseHandler#CUT_GRACE} is cut. A connection that goes away ends the session. Whatever the client
 * sends meanwhile is dropped: a request pipelined behind an endless response would never be answered.
 */
final class SseStreamHandler extends ChannelInboundHandlerAdapter {

    private final Channel channel;
    private final SseStreams streams;
    private @Nullable Session session;

    SseStreamHandler(Channel channel, SseStreams streams) {
        this.channel = channel;
        this.streams = streams;
    }

    void attach(Session session) {
        this.session = session;
    }

    /** Called on the event loop once the close event is written. */
    void end() {
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        if (channel.isActive()) {
            ScheduledFuture<?> cut = channel.eventLoop().schedule(() -> channel.close(), SseHandler.CUT_GRACE.toMillis(),
                    TimeUnit.MILLISECONDS);
            channel.closeFuture().addListener(closed -> cut.cancel(false));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Session s = session;
        if (s != null) {
            streams.ended(s);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
