package io.pushgate.transport.ws;

import io.netty.channel.Channel;
import io.pushgate.core.ClientClaims;

import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import reactor.netty.Connection;

/**
 * Hands the claims verified during the handshake to the connection. Spring copies only
 * {@code WebSession} attributes into a WebSocket session, and a stateless server keeps no WebSession,
 * so the claims are bound to the handler here, while the exchange is still at hand; so is the channel,
 * for cutting a connection whose close frame cannot get through.
 */
final class ClaimsBindingWebSocketService implements WebSocketService {

    private final WebSocketService delegate;

    ClaimsBindingWebSocketService(WebSocketService delegate) {
        this.delegate = delegate;
    }

    @Override
    public Mono<Void> handleRequest(ServerWebExchange exchange, WebSocketHandler handler) {
        if (handler instanceof PushWebSocketHandler push) {
            ClientClaims claims = exchange.getAttribute(PushWebSocketHandler.CLAIMS_ATTRIBUTE);
            return delegate.handleRequest(exchange, push.forHandshake(claims, abort(exchange)));
        }
        return delegate.handleRequest(exchange, handler);
    }

    /**
     * Closes the connection's channel. Spring's WebSocket session can only send a close frame, which
     * waits behind everything a stalled client has not read; the channel is the same after the upgrade.
     */
    private static Runnable abort(ServerWebExchange exchange) {
        Object response = ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse());
        if (response instanceof Connection connection) {
            Channel channel = connection.channel();
            return channel::close;
        }
        return () -> { };
    }
}
