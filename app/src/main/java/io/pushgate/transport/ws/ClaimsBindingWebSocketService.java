package io.pushgate.transport.ws;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.ConnectProxy;
import io.pushgate.security.ClientTokens;
import io.pushgate.core.Cursor;
import io.pushgate.transport.netty.NettyChannels;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemWriter;
import io.pushgate.web.Unauthenticated;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

/**
 * Hands the claims verified during the handshake to the connection. Spring copies only
 * {@code WebSession} attributes into a WebSocket session, and a stateless server keeps no WebSession,
 * so the claims are bound to the handler here, while the exchange is still at hand; so is the channel,
 * for cutting a connection whose close frame cannot get through. A malformed {@code ?cursor=} is
 * refused here too, with a 400, before the upgrade, and so is an upgrade without a token past the cap
 * of unauthenticated connections (node-wide or for the peer's address), with a 503.
 */
final class ClaimsBindingWebSocketService implements WebSocketService {

    /**
     * Past {@code pushgate.ws.max-unauthenticated} (node) or {@code ...-per-address}: the client should
     * retry later, or send its token with the handshake, which is never counted.
     */
    static final Problem TOO_MANY_UNAUTHENTICATED = new Problem("too-many-unauthenticated",
            HttpStatus.SERVICE_UNAVAILABLE, "too many connections are waiting to authenticate; retry later, "
            + "or give the token with the handshake");

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
            Channel channel = NettyChannels.of(exchange);
            Unauthenticated.Permit pending = null;
            if (claims == null) {
                // counted from here until it authenticates or ends; the peer is the socket's, not a header's
                pending = push.shared().unauthenticated().admit(channel == null ? null : channel.remoteAddress());
                if (pending == null) {
                    return problems.write(exchange, TOO_MANY_UNAUTHENTICATED);
                }
            }
            Unauthenticated.Permit taken = pending;
            ConnectProxy.Attempt handshake = claims == null && push.shared().proxy().enabled() ? handshake(exchange) : null;
            return delegate.handleRequest(exchange, push.forHandshake(claims, cursor, channel, pending, handshake))
                    .doOnError(e -> release(taken))
                    .doOnCancel(() -> release(taken));
        }
        return delegate.handleRequest(exchange, handler);
    }

    /**
     * What the connect proxy is told of an upgrade without claims, should its {@code auth} frame's token not
     * be a valid JWT: the client's address (as a trusted proxy forwarded it), its {@code User-Agent} and
     * {@code Origin}, and the query without {@code token}. Its cookies were the backend's to judge at the
     * upgrade already, so they are not sent again.
     */
    private static ConnectProxy.Attempt handshake(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : List.of("user-agent", "origin")) {
            String value = request.getHeaders().getFirst(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        Map<String, List<String>> query = new LinkedHashMap<>(request.getQueryParams());
        query.remove(ClientTokens.QUERY_PARAMETER);
        InetSocketAddress peer = request.getRemoteAddress();
        String address = peer == null ? null : peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
        return new ConnectProxy.Attempt(null, "ws", address, headers, query);
    }

    private static void release(Unauthenticated.@Nullable Permit permit) {
        if (permit != null) {
            permit.release(); // the upgrade failed: no connection will release it
        }
    }
}
