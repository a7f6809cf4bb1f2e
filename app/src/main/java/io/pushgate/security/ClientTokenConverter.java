package io.pushgate.security;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pushgate.core.ConnectProxy;

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
 *
 * <p>With the connect proxy on ({@code pushgate.auth.connect-url}), the credential also carries what the
 * backend would be told ({@link ConnectProxy.Attempt}), for when the token is not a valid JWT; and a
 * request with no token but cookies the origin rules take ({@link CookieOrigins}) is presented too, for
 * the backend to judge its cookies.
 */
final class ClientTokenConverter implements ServerAuthenticationConverter {

    /** The request headers passed on to the backend, by lower-case name. */
    static final List<String> PROXIED_HEADERS = List.of("cookie", "user-agent", "origin");

    private final CookieOrigins cookies;
    private final ConnectProxy proxy;

    ClientTokenConverter(CookieOrigins cookies, ConnectProxy proxy) {
        this.cookies = cookies;
        this.proxy = proxy;
    }

    @Override
    public Mono<Authentication> convert(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        boolean cookieTaken = takesCookie(request);
        String token = find(request, cookieTaken);
        if (!proxy.enabled()) {
            return token == null ? Mono.empty() : Mono.just(Credential.presented(token));
        }
        boolean hasCookies = cookieTaken && request.getHeaders().containsHeader(HttpHeaders.COOKIE);
        if (token == null && !hasCookies) {
            return Mono.empty();
        }
        return Mono.just(Credential.proxied(attempt(request, token, cookieTaken)));
    }

    /** The token, the cookie counting only when {@link CookieOrigins} takes it from this request's origin. */
    @Nullable String find(ServerHttpRequest request) {
        return find(request, takesCookie(request));
    }

    private boolean takesCookie(ServerHttpRequest request) {
        HttpHeaders headers = request.getHeaders();
        String origin = headers.getOrigin();
        // the request's URI is the one a trusted proxy forwarded: its own origin, as the browser sees it
        boolean ownOrigin = origin != null && !CorsUtils.isCorsRequest(request);
        return cookies.takesCookie(origin, headers.getFirst(CookieOrigins.SEC_FETCH_SITE), ownOrigin);
    }

    private static @Nullable String find(ServerHttpRequest request, boolean cookieTaken) {
        HttpHeaders headers = request.getHeaders();
        var cookie = cookieTaken ? request.getCookies().getFirst(ClientTokens.COOKIE) : null;
        return ClientTokens.find(headers.getFirst(HttpHeaders.AUTHORIZATION),
                headers.getOrEmpty("Sec-WebSocket-Protocol"),
                request.getQueryParams().getFirst(ClientTokens.QUERY_PARAMETER), cookie == null ? null : cookie.getValue());
    }

    /** What the backend is told about this request. */
    static ConnectProxy.Attempt attempt(ServerHttpRequest request, @Nullable String token, boolean cookieTaken) {
        HttpHeaders headers = request.getHeaders();
        Map<String, String> passed = new LinkedHashMap<>();
        for (String name : PROXIED_HEADERS) {
            if (name.equals("cookie") && !cookieTaken) {
                continue; // a page of another site: its cookies do not stand for the user here
            }
            List<String> values = headers.get(name);
            if (values != null && !values.isEmpty()) {
                passed.put(name, String.join(name.equals("cookie") ? "; " : ", ", values));
            }
        }
        Map<String, List<String>> query = new LinkedHashMap<>(request.getQueryParams());
        query.remove(ClientTokens.QUERY_PARAMETER);
        InetSocketAddress peer = request.getRemoteAddress();
        String address = peer == null ? null
                : peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
        return new ConnectProxy.Attempt(token, transport(request.getPath().pathWithinApplication().value()), address,
                passed, query);
    }

    private static String transport(String path) {
        if (path.startsWith("/client/")) {
            return "client";
        }
        return switch (path) {
            case "/ws" -> "ws";
            case "/sse" -> "sse";
            case "/poll" -> "poll";
            default -> path;
        };
    }
}
