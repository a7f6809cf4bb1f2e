package io.pushgate.security;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

/**
 * Presents the client token a request carries ({@link ClientTokens} says where it may be) for the
 * chain to verify. No token is not an error here: a WebSocket client may still send an {@code auth}
 * frame, and the chain decides what else needs one.
 */
final class ClientTokenConverter implements ServerAuthenticationConverter {

    @Override
    public Mono<Authentication> convert(ServerWebExchange exchange) {
        String token = find(exchange.getRequest());
        return token == null ? Mono.empty() : Mono.just(Credential.presented(token));
    }

    static @Nullable String find(ServerHttpRequest request) {
        var cookie = request.getCookies().getFirst(ClientTokens.COOKIE);
        return ClientTokens.find(request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION),
                request.getHeaders().getOrEmpty("Sec-WebSocket-Protocol"),
                request.getQueryParams().getFirst(ClientTokens.QUERY_PARAMETER), cookie == null ? null : cookie.getValue());
    }
}
