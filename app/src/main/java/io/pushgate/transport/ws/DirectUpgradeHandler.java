package io.pushgate.transport.ws;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;
import io.pushgate.security.ClientTokens;
import io.pushgate.web.HttpStage;

import org.jspecify.annotations.Nullable;

/**
 * One connection's share of {@link DirectWebSocket}, right after the HTTP codec. It takes a {@code /ws}
 * upgrade that {@link DirectWebSocket#admit} accepts, and only when no earlier request on the connection
 * is still being answered by WebFlux (so answers keep their order); every other message goes on
 * untouched. Taking an upgrade turns the connection into a WebSocket: Reactor Netty's HTTP handlers
 * leave the pipeline, Netty's WebSocket codec and a {@link WsFrameHandler} take their place, and the
 * channel reads as fast as frames come (the connection's rate limit guards the server).
 * All state is touched on the channel's event loop only.
 */
final class DirectUpgradeHandler extends ChannelDuplexHandler {

    private final DirectWebSocket route;
    /** Requests handed on whose response has not ended yet. */
    private int handedOn;
    /** The upgrade taken, while the rest of its request (an empty last content) is still to come. */
    private @Nullable HttpRequest taken;
    private DirectWebSocket.@Nullable Admission admission;

    DirectUpgradeHandler(DirectWebSocket route) {
        this.route = route;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        HttpRequest request = taken;
        if (request != null) {
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (last) {
                upgrade(ctx, request);
            } else {
                ctx.read();
            }
            return;
        }
        if (msg instanceof HttpRequest candidate) {
            DirectWebSocket.Admission admitted = handedOn == 0 ? route.admit(candidate) : null;
            if (admitted == null) {
                handedOn++;
                ctx.fireChannelRead(msg);
                return;
            }
            admission = admitted;
            if (msg instanceof LastHttpContent) {
                upgrade(ctx, candidate);
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

    private void upgrade(ChannelHandlerContext ctx, HttpRequest request) {
        taken = null;
        DirectWebSocket.Admission admitted = admission;
        admission = null;
        Channel channel = ctx.channel();
        ChannelPipeline pipeline = ctx.pipeline();
        HttpStage.leave(pipeline, this);
        FullHttpRequest full = new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE);
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(request.uri(),
                ClientTokens.BEARER_PROTOCOL, route.decoderConfig()).newHandshaker(full);
        if (handshaker == null) { // admit() asked for version 13, which Netty always speaks
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(channel);
            return;
        }
        WsConnection connection = new WsConnection(channel, route.shared());
        pipeline.replace(this, "pushgate.ws", new WsFrameHandler(connection, route.shared().settings().hardFrameLimit()));
        handshaker.handshake(channel, full).addListener(done -> {
            if (done.isSuccess()) {
                route.upgraded();
                channel.config().setAutoRead(true);
                connection.open(admitted == null ? null : admitted.claims(), admitted == null ? null : admitted.cursor());
            } else {
                channel.close();
            }
        });
    }
}
