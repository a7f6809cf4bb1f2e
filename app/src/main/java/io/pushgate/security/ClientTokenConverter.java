package io.pushgate.security;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

/**
 * Presents the client token a request carries ({@link ClientTokens} says where it may be) for the
 * chain to verify. No token is not an error here: a WebSocket client may still send an {@code auth}
 * frame, and the chain decides what else needs one.
 */
final class ClientTokenConverter implements ServerAuthenticationConverter {

    private final CookieOrigins cookies;

    ClientTokenConverter(CookieOrigins cookies) {
        this.cookies = cookies;
    }

    @Override
    public Mono<Authentication> convert(ServerWebExchange exchange) {
        String token = find(exchange.getRequest());
        return token == null ? Mono.empty() : Mono.just(Credential.presented(token));
    }

    /** The token, the cookie counting only when {@link CookieOrigins} takes it from this request's origin. */
    @Nullable String find(ServerHttpRequest request) {
        HttpHeaders headers = request.getHeaders();
        String origin = headers.getOrigin();
        // the request's URI is the one a trusted proxy forwarded: its own origin, as the browser sees it
        boolean ownOrigin = origin != null && !CorsUtils.isCorsRequest(request);
        var cookie = cookies.takesCookie(origin, headers.getFirst(CookieOrigins.SEC_FETCH_SITE), ownOrigin)
                ? request.getCookies().getFirst(ClientTokens.COOKIE) : null;
        return ClientTokens.find(headers.getFirst(HttpHeaders.AUTHORIZATION),
                headers.getOrEmpty("Sec-WebSocket-Protocol"),
                request.getQueryParams().getFirst(ClientTokens.QUERY_PARAMETER), cookie == null ? null : cookie.getValue());
    }
}
