package io.pushgate.transport.ws;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.pushgate.security.ClientTokens;
import io.pushgate.transport.netty.HttpStage;
import io.pushgate.transport.netty.HttpTakeover;
import io.pushgate.web.Unauthenticated;

import org.jspecify.annotations.Nullable;

/**
 * One connection's share of {@link DirectWebSocket}, right after the HTTP codec (see
 * {@link HttpTakeover} for which requests it takes). Taking an upgrade turns the connection into a
 * WebSocket: Reactor Netty's HTTP handlers leave the pipeline, Netty's WebSocket codec and a
 * {@link WsFrameHandler} take their place, and the channel reads as fast as frames come (the
 * connection's rate limit guards the server).
 */
final class DirectUpgradeHandler extends HttpTakeover<DirectWebSocket.Admission> {

    private final DirectWebSocket route;

    DirectUpgradeHandler(DirectWebSocket route) {
        this.route = route;
    }

    @Override
    protected DirectWebSocket.@Nullable Admission admit(HttpRequest request) {
        return route.admit(request);
    }

    @Override
    protected boolean takeOver(ChannelHandlerContext ctx, HttpRequest request, DirectWebSocket.Admission admission) {
        Channel channel = ctx.channel();
        ChannelPipeline pipeline = ctx.pipeline();
        FullHttpRequest full = new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE);
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(request.uri(),
                ClientTokens.BEARER_PROTOCOL, route.decoderConfig()).newHandshaker(full);
        if (handshaker == null) {
            return false; // admit() asked for version 13, which Netty always speaks; WebFlux would answer otherwise
        }
        Unauthenticated.Permit pending = null;
        if (admission.claims() == null) {
            pending = route.shared().unauthenticated().admit(channel.remoteAddress());
            if (pending == null) {
                return false; // past a cap: WebFlux words the refusal (503), counting again, in one place
            }
        }
        Unauthenticated.Permit taken = pending;
        HttpStage.leave(pipeline, this);
        WsConnection connection = new WsConnection(channel, route.shared(), route.decoderConfig());
        pipeline.replace(this, "pushgate.ws", new WsFrameHandler(connection, route.shared().settings().hardFrameLimit()));
        handshaker.handshake(channel, full).addListener(done -> {
            if (done.isSuccess()) {
                route.upgraded();
                channel.config().setAutoRead(true);
                connection.open(admission.claims(), admission.cursor(), taken, null); // with the proxy on, tokenless upgrades go to WebFlux
            } else {
                if (taken != null) {
                    taken.release();
                }
                channel.close();
            }
        });
        return true;
    }
}
