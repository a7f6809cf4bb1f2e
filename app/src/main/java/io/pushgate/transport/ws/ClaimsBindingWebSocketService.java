package io.pushgate.transport.ws;

import io.pushgate.core.ClientClaims;

import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

/**
 * Hands the claims verified during the handshake to the connection. Spring copies only
 * {@code WebSession} attributes into a WebSocket session, and a stateless server keeps no WebSession,
 * so the claims are bound to the handler here, while the exchange is still at hand.
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
            return delegate.handleRequest(exchange, push.withClaims(claims));
        }
        return delegate.handleRequest(exchange, handler);
    }
}
