package io.pushgate.transport.ws;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Hands the frames of a connection upgraded by {@link DirectUpgradeHandler} to its {@link WsConnection},
 * whole (fragments are joined before this), and answers the client's pings. Nothing read here goes further
 * down the pipeline: Reactor Netty has no operations for this connection.
 */
final class WsFrameHandler extends ChannelInboundHandlerAdapter {

    private final WsConnection connection;

    WsFrameHandler(WsConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame text) {
                connection.onText(text.content());
            } else if (msg instanceof PingWebSocketFrame ping) {
                connection.onControl();
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()), ctx.voidPromise());
            } else if (msg instanceof PongWebSocketFrame) {
                connection.onControl();
            } else if (msg instanceof CloseWebSocketFrame close) {
                connection.onCloseFrame(close);
            } else if (msg instanceof BinaryWebSocketFrame) {
                connection.onBinary();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connection.closed();
        ctx.fireChannelInactive();
    }

    /** A frame the decoder refused ends the connection with its reason; any other error just ends it. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connection.onBrokenFrame(cause);
    }
}
