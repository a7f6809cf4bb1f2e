package io.pushgate.security;

import java.util.List;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import org.jspecify.annotations.Nullable;

/**
 * Where a client presents its token, in this order: {@code Authorization: Bearer}, the
 * {@code bearer, <token>} subprotocol pair, the {@code token} query parameter, then the
 * {@code pushgate_token} cookie. One rule for requests through WebFlux ({@link ClientTokenConverter})
 * and for the WebSocket upgrade served straight from Netty, so both find the same token.
 */
public final class ClientTokens {

    /** The query parameter carrying a token. */
    public static final String QUERY_PARAMETER = "token";
    /**
     * For EventSource, which cannot send headers: a cookie set by the site. Taken only from pushgate's own
     * pages and listed origins ({@link CookieOrigins}), never from another site's.
     */
    public static final String COOKIE = "pushgate_token";
    /** The subprotocol that announces a token as the next subprotocol; echoed back on the upgrade. */
    public static final String BEARER_PROTOCOL = "bearer";

    private ClientTokens() {
    }

    /**
     * @param authorization   the {@code Authorization} header
     * @param protocolHeaders every {@code Sec-WebSocket-Protocol} header, each a comma-separated list
     * @param query           the {@code token} query parameter
     * @param cookie          the {@code pushgate_token} cookie
     * @return the token, or {@code null} when none is presented
     */
    public static @Nullable String find(@Nullable String authorization, List<String> protocolHeaders,
                                        @Nullable String query, @Nullable String cookie) {
        String bearer = bearer(authorization);
        if (bearer != null) {
            return bearer;
        }
        boolean announced = false;
        for (String header : protocolHeaders) {
            for (String entry : header.split(",")) {
                String protocol = entry.trim();
                if (protocol.isEmpty()) {
                    continue;
                }
                if (announced) {
                    return protocol;
                }
                announced = BEARER_PROTOCOL.equals(protocol);
            }
        }
        if (query != null && !query.isBlank()) {
            return query;
        }
        return cookie == null || cookie.isBlank() ? null : cookie;
    }

    /**
     * The token a request read straight from Netty carries, or {@code null}; {@code uri} is its decoded URI.
     * The cookie counts only when {@code cookies} takes it without knowing pushgate's own origin (which
     * only WebFlux knows): see {@link #cookieNeedsWebFlux}.
     */
    public static @Nullable String find(HttpRequest request, QueryStringDecoder uri, CookieOrigins cookies) {
        HttpHeaders headers = request.headers();
        boolean cookieTaken = cookies.takesCookie(headers.get(HttpHeaderNames.ORIGIN), headers.get(CookieOrigins.SEC_FETCH_SITE), false);
        return find(headers.get(HttpHeaderNames.AUTHORIZATION), headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL),
                parameter(uri, QUERY_PARAMETER), cookieTaken ? cookie(headers) : null);
    }

    /**
     * Whether a request read straight from Netty, that {@link #find(HttpRequest, QueryStringDecoder, CookieOrigins)}
     * found no token in, has a cookie only WebFlux can judge: an {@code Origin} that may be pushgate's own.
     * Such a request must go on to WebFlux rather than be served as one without a token.
     */
    public static boolean cookieNeedsWebFlux(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return headers.contains(HttpHeaderNames.ORIGIN) && cookie(headers) != null;
    }

    /** The first value of a query parameter, or {@code null}. */
    public static @Nullable String parameter(QueryStringDecoder uri, String name) {
        List<String> values = uri.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static @Nullable String cookie(HttpHeaders headers) {
        for (String header : headers.getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decodeAll(header)) {
                if (COOKIE.equals(cookie.name())) {
                    return cookie.value();
                }
            }
        }
        return null;
    }

    /** The credential of an {@code Authorization: Bearer <credential>} header, or {@code null}. */
    public static @Nullable String bearer(@Nullable String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String value = authorization.substring(7).trim();
        return value.isEmpty() ? null : value;
    }
}
