package io.pushgate.security;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

/**
 * Finds a client token in a request, in this order: {@code Authorization: Bearer}, the
 * {@code bearer, <token>} subprotocol pair, the {@code token} query parameter, then the
 * {@code pushgate_token} cookie. No token is not an error here: a WebSocket client may still send an
 * {@code auth} frame, and the chain decides what else needs one.
 */
final class ClientTokenConverter implements ServerAuthenticationConverter {

    static final String QUERY_PARAMETER = "token";
    /** For EventSource, which cannot send headers: a cookie set by the site (same-site, or CORS with credentials). */
    static final String COOKIE = "pushgate_token";
    private static final String PROTOCOL_HEADER = "Sec-WebSocket-Protocol";

    @Override
    public Mono<Authentication> convert(ServerWebExchange exchange) {
        String token = find(exchange.getRequest());
        return token == null ? Mono.empty() : Mono.just(Credential.presented(token));
    }

    static @Nullable String find(ServerHttpRequest request) {
        String bearer = bearer(request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
        if (bearer != null) {
            return bearer;
        }
        List<String> protocols = new ArrayList<>();
        for (String header : request.getHeaders().getOrEmpty(PROTOCOL_HEADER)) {
            for (String entry : header.split(",")) {
                if (!entry.isBlank()) {
                    protocols.add(entry.trim());
                }
            }
        }
        int at = protocols.indexOf("bearer");
        if (at >= 0 && at + 1 < protocols.size()) {
            return protocols.get(at + 1);
        }
        String query = request.getQueryParams().getFirst(QUERY_PARAMETER);
        if (query != null && !query.isBlank()) {
            return query;
        }
        var cookie = request.getCookies().getFirst(COOKIE);
        return cookie == null || cookie.getValue().isBlank() ? null : cookie.getValue();
    }

    static @Nullable String bearer(@Nullable String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String value = authorization.substring(7).trim();
        return value.isEmpty() ? null : value;
    }
}
