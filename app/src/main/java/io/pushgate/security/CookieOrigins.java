package io.pushgate.security;

import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.web.cors.CorsConfiguration;

/**
 * When the {@code pushgate_token} cookie may stand for the client, so that a page of another site cannot
 * borrow it (a browser attaches cookies to cross-site requests too). The cookie is taken:
 * <ul>
 *   <li>with an {@code Origin}, when that origin is on {@code pushgate.cors.allowed-origins} with cookies
 *       allowed (a list of origins, not {@code *}), or is pushgate's own origin (its scheme, host and port,
 *       as forwarded by a trusted proxy);</li>
 *   <li>without {@code Origin}, only when the browser says the request is its own site's or the user's:
 *       {@code Sec-Fetch-Site: same-origin} or {@code none}. A browser leaves {@code Origin} out of
 *       same-origin GETs (an {@code EventSource} or a poll of pushgate's own page) but also out of a
 *       cross-site link or image, so the absence alone proves nothing; every current browser sends
 *       {@code Sec-Fetch-Site}. A request with neither header is not from a browser that could be misled,
 *       and its cookie is ignored: such clients send the token as {@code Authorization: Bearer} or
 *       {@code ?token=}.</li>
 * </ul>
 * Otherwise the cookie is ignored, as if absent (so a request with nothing else gets 401).
 * {@code WebSocket} handshakes from browsers always carry {@code Origin}.
 */
public final class CookieOrigins {

    /** The Fetch Metadata header: {@code same-origin}, {@code same-site}, {@code cross-site} or {@code none}. */
    public static final String SEC_FETCH_SITE = "Sec-Fetch-Site";

    private final @Nullable CorsConfiguration cors;

    private CookieOrigins(@Nullable CorsConfiguration cors) {
        this.cors = cors;
    }

    public static CookieOrigins of(List<String> allowedOrigins) {
        return new CookieOrigins(CorsPolicy.configuration(allowedOrigins));
    }

    /**
     * @param origin       the request's {@code Origin}, or {@code null}
     * @param secFetchSite the request's {@code Sec-Fetch-Site}, or {@code null}
     * @param ownOrigin    whether {@code origin} is pushgate's own origin; {@code false} where that is not
     *                     known (the Netty-direct paths, which then leave the request to WebFlux)
     * @return whether the cookie may authenticate this request
     */
    public boolean takesCookie(@Nullable String origin, @Nullable String secFetchSite, boolean ownOrigin) {
        if (origin != null) {
            return ownOrigin || listedWithCookies(origin);
        }
        return "same-origin".equalsIgnoreCase(secFetchSite) || "none".equalsIgnoreCase(secFetchSite);
    }

    /** Whether pages of this origin may use pushgate with cookies, by the list alone. */
    public boolean listedWithCookies(String origin) {
        return cors != null && Boolean.TRUE.equals(cors.getAllowCredentials()) && cors.checkOrigin(origin) != null;
    }

    /** Whether pages of this origin may call the client endpoints, by the list alone ({@code *} included). */
    public boolean listed(String origin) {
        return cors != null && cors.checkOrigin(origin) != null;
    }
}
