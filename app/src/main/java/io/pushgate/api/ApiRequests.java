package io.pushgate.api;

import java.util.concurrent.atomic.AtomicBoolean;

import io.pushgate.api.problem.ProblemWriter;
import io.pushgate.security.ApiKeys;

import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Mono;

/**
 * What every backend API request answered by WebFlux goes through, in two filters: {@link #identify}
 * runs ahead of Spring Security, so that it sees every request, refused ones too: it names the API key
 * by its id ({@link #KEY_ID}, for the audit lines of the controllers) and writes the {@link AccessLog}
 * line once the answer's status is known; {@link #limit} runs after Spring Security, so only requests
 * with a valid key reach it, and answers 429 for a key over its rate. {@link DirectPublishing} does the
 * same for the requests it answers, which never reach these filters.
 */
final class ApiRequests {

    /** The exchange attribute holding the id of the request's valid API key; absent when it has none. */
    static final String KEY_ID = "io.pushgate.api.keyId";

    /** Ahead of Spring Security's filter chain proxy (-100). */
    static final int IDENTIFY_ORDER = -200;
    /** After Spring Security's filter chain proxy, so past authentication. */
    static final int LIMIT_ORDER = 0;

    private final ApiKeys keys;
    private final AccessLog access;
    private final ApiRateLimits limits;
    private final ProblemWriter problems;

    ApiRequests(ApiKeys keys, AccessLog access, ApiRateLimits limits, ProblemWriter problems) {
        this.keys = keys;
        this.access = access;
        this.limits = limits;
        this.problems = problems;
    }

    static boolean isApi(String path) {
        return path.startsWith("/api/") || path.equals("/api");
    }

    /** @return the key's id when {@code authorization} is {@code Bearer <a configured key>} */
    static @Nullable String keyId(ApiKeys keys, @Nullable String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return keys.idOf(authorization.substring(7).trim());
    }

    WebFilter identify() {
        return new OrderedFilter(IDENTIFY_ORDER) {
            @Override
            public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
                String path = exchange.getRequest().getPath().value();
                if (!isApi(path)) {
                    return chain.filter(exchange);
                }
                String keyId = keyId(keys, exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
                if (keyId != null) {
                    exchange.getAttributes().put(KEY_ID, keyId);
                }
                if (!access.enabled()) {
                    return chain.filter(exchange);
                }
                long start = System.nanoTime();
                String method = exchange.getRequest().getMethod().name();
                ServerHttpResponse response = exchange.getResponse();
                AtomicBoolean logged = new AtomicBoolean();
                // at commit the status is final, whether a controller, the security chain or an error handler set it
                response.beforeCommit(() -> {
                    if (logged.compareAndSet(false, true)) {
                        HttpStatusCode status = response.getStatusCode();
                        access.request(method, path, status == null ? 200 : status.value(), keyId, start);
                    }
                    return Mono.empty();
                });
                return chain.filter(exchange).doOnCancel(() -> {
                    if (logged.compareAndSet(false, true)) {
                        access.request(method, path, CLIENT_CLOSED, keyId, start);
                    }
                });
            }
        };
    }

    /** What nginx logs for a request the client gave up on before its answer: there is no real status. */
    static final int CLIENT_CLOSED = 499;

    WebFilter limit() {
        return new OrderedFilter(LIMIT_ORDER) {
            @Override
            public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
                if (!limits.enabled() || !isApi(exchange.getRequest().getPath().value())) {
                    return chain.filter(exchange);
                }
                long retryAfter = limits.retryAfterSeconds(exchange.getAttribute(KEY_ID));
                if (retryAfter == 0) {
                    return chain.filter(exchange);
                }
                exchange.getResponse().getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
                return problems.write(exchange, ApiRateLimits.RATE_LIMITED);
            }
        };
    }

    /** A web filter with its order, by which WebFlux sorts the filter beans. */
    private abstract static class OrderedFilter implements WebFilter, Ordered {
        private final int order;

        OrderedFilter(int order) {
            this.order = order;
        }

        @Override
        public int getOrder() {
            return order;
        }
    }
}
