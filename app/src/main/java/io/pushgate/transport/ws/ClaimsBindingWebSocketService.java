package io.pushgate.transport.ws;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.history.Cursor;
import io.pushgate.web.NettyChannels;
import io.pushgate.web.Problem;
import io.pushgate.web.ProblemWriter;

import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

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
            return delegate.handleRequest(exchange, push.forHandshake(claims, cursor, NettyChannels.of(exchange)));
        }
        return delegate.handleRequest(exchange, handler);
    }
}
