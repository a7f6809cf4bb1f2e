package io.pushgate.transport.ws;

import io.netty.channel.Channel;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.history.Cursor;
import io.pushgate.web.Problem;
import io.pushgate.web.ProblemWriter;

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
 * for cutting a connection whose close frame cannot get through. A malformed {@code ?cursor=} is
 * refused here too, with a 400, before the upgrade.
 */
final class ClaimsBindingWebSocketService implements WebSocketService {

    private final WebSocketService delegate;
    private final ProblemWriter problems;

    ClaimsBindingWebSocketService(WebSocketService delegate, ProblemWriter problems) {
        this.delegate = delegate;
        this.problems = problems;
    }

    @Override
    public Mono<Void> handleRequest(ServerWebExchange exchange, WebSocketHandler handler) {
        if (handler instanceof PushWebSocketHandler push) {
            ClientClaims claims = exchange.getAttribute(PushWebSocketHandler.CLAIMS_ATTRIBUTE);
            String cursorText = exchange.getRequest().getQueryParams().getFirst("cursor");
            Cursor cursor = null;
            if (cursorText != null && !cursorText.isEmpty()) {
                try {
                    cursor = Cursor.parse(cursorText);
                } catch (IllegalArgumentException e) {
                    return problems.write(exchange, Problem.badRequest("cursor is malformed; use the id of the last message received"));
                }
            }
            return delegate.handleRequest(exchange, push.forHandshake(claims, cursor, abort(exchange)));
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
