package io.pushgate.security;

import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemWriter;

import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Mono;

/**
 * {@code POST /client/*} changes what a client's sessions receive, so it takes no request a page of
 * another site could make a browser send:
 * <ul>
 *   <li>an {@code Origin} that is neither pushgate's own (as forwarded by a trusted proxy) nor on
 *       {@code pushgate.cors.allowed-origins}: 403 {@code origin-not-allowed}, whatever the list (with no
 *       list, CORS alone would not refuse it);</li>
 *   <li>a body that is not JSON ({@code application/json} or {@code +json}): 415 {@code unsupported-media-type}.
 *       A form or {@code text/plain} POST is what a page may send cross-site without a preflight; JSON
 *       needs one, which only listed origins pass.</li>
 * </ul>
 * Runs before authentication, so the answer does not depend on the credential.
 */
final class ClientCommandGuard implements WebFilter {

    private final CookieOrigins origins;
    private final ProblemWriter problems;

    ClientCommandGuard(CookieOrigins origins, ProblemWriter problems) {
        this.origins = origins;
        this.problems = problems;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (request.getMethod() != HttpMethod.POST || !request.getPath().pathWithinApplication().value().startsWith("/client/")) {
            return chain.filter(exchange);
        }
        String origin = request.getHeaders().getOrigin();
        if (origin != null && CorsUtils.isCorsRequest(request) && !origins.listed(origin)) {
            return problems.write(exchange, new Problem("origin-not-allowed", HttpStatus.FORBIDDEN,
                    "pages of this origin may not send client commands; see pushgate.cors.allowed-origins"));
        }
        MediaType type;
        try {
            type = request.getHeaders().getContentType();
        } catch (org.springframework.http.InvalidMediaTypeException e) {
            type = null;
        }
        if (type == null || !(MediaType.APPLICATION_JSON.isCompatibleWith(type) || "json".equals(type.getSubtypeSuffix()))) {
            return problems.write(exchange, new Problem("unsupported-media-type", HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "client commands are JSON: send Content-Type: application/json"));
        }
        return chain.filter(exchange);
    }
}
