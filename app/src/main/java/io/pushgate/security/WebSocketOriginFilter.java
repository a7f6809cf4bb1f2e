package io.pushgate.security;

import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemWriter;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Mono;

/**
 * Refuses a {@code /ws} handshake from a browser page whose origin is not allowed, with 403, before the
 * upgrade. Applies only when {@code pushgate.cors.allowed-origins} is set (the CORS policy then has a
 * configuration for {@code /ws}); a handshake without {@code Origin} (apps, servers, mini-programs) or
 * from the request's own origin (its forwarded scheme, host and port behind a proxy) always passes.
 */
final class WebSocketOriginFilter implements WebFilter {

    private final CorsConfigurationSource cors;
    private final ProblemWriter problems;

    WebSocketOriginFilter(CorsConfigurationSource cors, ProblemWriter problems) {
        this.cors = cors;
        this.problems = problems;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String origin = exchange.getRequest().getHeaders().getFirst(HttpHeaders.ORIGIN);
        if (origin == null || !"/ws".equals(exchange.getRequest().getPath().pathWithinApplication().value())
                || !CorsUtils.isCorsRequest(exchange.getRequest())) {
            return chain.filter(exchange);
        }
        CorsConfiguration config = cors.getCorsConfiguration(exchange);
        if (config == null || config.checkOrigin(origin) != null) {
            return chain.filter(exchange);
        }
        return problems.write(exchange, new Problem("origin-not-allowed", HttpStatus.FORBIDDEN,
                "this origin may not open a WebSocket here; see pushgate.cors.allowed-origins"));
    }
}
