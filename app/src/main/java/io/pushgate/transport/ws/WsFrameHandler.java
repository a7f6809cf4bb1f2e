package io.pushgate.transport.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

import org.jspecify.annotations.Nullable;

/**
 * Hands the frames of a connection upgraded by {@link DirectUpgradeHandler} to its {@link WsConnection}:
 * a message sent in fragments is joined first (up to the hard frame limit, as one frame), and the
 * client's pings are handed to the connection, which answers them within its bound. Joining here rather than with Netty's aggregator saves a handler on every
 * connection for what few clients ever do. Nothing read here goes further down the pipeline: Reactor
 * Netty has no operations for this connection.
 */
final class WsFrameHandler extends ChannelInboundHandlerAdapter {

    private final WsConnection connection;
    private final int limit;
    /** The fragments of a message so far; {@code null} between messages, which is nearly always. */
    private @Nullable CompositeByteBuf fragments;
    private boolean binary;

    WsFrameHandler(WsConnection connection, int limit) {
        this.connection = connection;
        this.limit = limit;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof PingWebSocketFrame ping) {
                connection.onPing(ping.content()); // answered within the channel's bound; see there
            } else if (msg instanceof PongWebSocketFrame) {
                connection.onControl();
            } else if (msg instanceof CloseWebSocketFrame close) {
                connection.onCloseFrame(close);
            } else if (msg instanceof WebSocketFrame frame) {
                data(ctx, frame);
                connection.afterFrame();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** A text, binary or continuation frame; the decoder has already refused fragments out of order. */
    private void data(ChannelHandlerContext ctx, WebSocketFrame frame) {
        CompositeByteBuf joined = fragments;
        if (joined == null && frame.isFinalFragment()) {
            deliver(frame instanceof BinaryWebSocketFrame, frame.content());
            return;
        }
        if (joined == null) {
            joined = ctx.alloc().compositeBuffer();
            fragments = joined;
            binary = frame instanceof BinaryWebSocketFrame;
        } else if (!(frame instanceof ContinuationWebSocketFrame)) {
            return; // unreachable: the decoder closes a connection that starts a message inside another
        }
        joined.addComponent(true, frame.content().retain());
        int max = Math.min(limit, connection.frameLimit()); // smaller before authentication
        if (joined.readableBytes() > max) {
            dropFragments();
            connection.onBrokenFrame(new TooLongFrameException("message over " + max + " bytes"));
        } else if (frame.isFinalFragment()) {
            try {
                deliver(binary, joined);
            } finally {
                dropFragments();
            }
        }
    }

    private void deliver(boolean isBinary, ByteBuf payload) {
        if (isBinary) {
            connection.onBinary();
        } else {
            connection.onText(payload);
        }
    }

    private void dropFragments() {
        CompositeByteBuf joined = fragments;
        fragments = null;
        if (joined != null) {
            joined.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dropFragments();
        connection.closed();
        ctx.fireChannelInactive();
    }

    /** A frame the decoder refused ends the connection with its reason; any other error just ends it. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connection.onBrokenFrame(cause);
    }
}
