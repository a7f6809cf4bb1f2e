package io.pushgate.security;

import java.util.List;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.web.cors.reactive.UrlBasedCorsConfigurationSource;

/**
 * The cross-origin rules for the client endpoints, from {@code pushgate.cors.allowed-origins}.
 *
 * <p>Empty (the default): no CORS headers, so only pages served from pushgate's own origin (or through
 * the same proxy host) may use SSE, long-poll and the client endpoints. {@code *}: any origin, without
 * cookies. A list of origins: those, with cookies allowed (so the {@code pushgate_token} cookie works
 * cross-origin). When set, it is also the list of origins whose pages may open {@code /ws}
 * ({@link WebSocketOriginFilter}); with the default, any page may.
 */
public final class CorsPolicy {

    private CorsPolicy() {
    }

    public static CorsConfigurationSource of(List<String> allowedOrigins) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        CorsConfiguration config = configuration(allowedOrigins);
        if (config == null) {
            return source;
        }
        for (String path : List.of("/ws", "/sse", "/poll", "/client/**")) {
            source.registerCorsConfiguration(path, config);
        }
        return source;
    }

    /**
     * Whether a page from an origin may open {@code /ws} by the list alone: yes when no list is set or the
     * origin is on it. A no is not yet a refusal: the page may be from pushgate's own origin, which
     * {@link WebSocketOriginFilter} works out from the whole request.
     */
    public static Predicate<String> webSocketOrigins(List<String> allowedOrigins) {
        CorsConfiguration config = configuration(allowedOrigins);
        return config == null ? origin -> true : origin -> config.checkOrigin(origin) != null;
    }

    /** The rules for the client endpoints, or {@code null} when no origin list is set (no CORS answers). */
    public static @Nullable CorsConfiguration configuration(List<String> allowedOrigins) {
        if (allowedOrigins.isEmpty()) {
            return null;
        }
        CorsConfiguration config = new CorsConfiguration();
        boolean any = allowedOrigins.contains("*");
        if (any) {
            config.addAllowedOriginPattern("*");
            config.setAllowCredentials(false);
        } else {
            config.setAllowedOrigins(allowedOrigins);
            config.setAllowCredentials(true);
        }
        config.setAllowedMethods(List.of("GET", "POST", "OPTIONS"));
        config.setAllowedHeaders(List.of("Authorization", "Content-Type", "Last-Event-ID"));
        config.setMaxAge(3600L);
        return config;
    }
}
