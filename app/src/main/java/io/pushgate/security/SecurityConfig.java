package io.pushgate.security;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.ConnectProxy;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.TokenVerifier;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemException;
import io.pushgate.api.problem.ProblemWriter;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;

/**
 * Three stateless chains: the backend API (API key required); the client endpoints {@code /ws},
 * {@code /sse}, {@code /poll} and {@code /client/**} (a presented client token must be valid, and its
 * claims travel on as an exchange attribute; only {@code /ws} may go without one, for the {@code auth}
 * frame; cross-origin browser use, {@code /ws} included, follows the CORS allow-list; the cookie counts
 * only from pushgate's own and listed origins, {@link CookieOrigins}; {@code POST /client/*} takes only
 * JSON from those origins, {@link ClientCommandGuard}; with {@code pushgate.auth.connect-url}, a token that is
 * not a valid JWT, or cookies without a token, are judged by the backend, {@link BackendConnectProxy});
 * and everything else, public.
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfig {

    /** The exchange attribute under which a verified client token's {@code ClientClaims} travel on. */
    public static final String CLIENT_CLAIMS_ATTRIBUTE = "io.pushgate.core.ClientClaims";

    /**
     * The claims of the client token the chain verified for this request.
     *
     * @throws ProblemException 401 {@code missing-token}; unreachable behind the client chain, which lets
     *                          no request without a token past, but a clear answer should that change
     */
    public static ClientClaims clientClaims(ServerWebExchange exchange) {
        ClientClaims claims = exchange.getAttribute(CLIENT_CLAIMS_ATTRIBUTE);
        if (claims == null) {
            throw new ProblemException(new Problem("missing-token", HttpStatus.UNAUTHORIZED, "a client token is required"));
        }
        return claims;
    }

    @Bean
    @Order(1)
    SecurityWebFilterChain apiChain(ServerHttpSecurity http, ApiKeys keys, ProblemWriter problems) {
        ReactiveAuthenticationManager manager = auth -> Mono.fromCallable(() -> {
            if (keys.matches(((Credential) auth).secret())) {
                return Credential.backend();
            }
            throw new BadCredentialsException("invalid API key");
        });
        AuthenticationWebFilter filter = bearerKeyFilter(manager, problems,
                new Problem("invalid-api-key", HttpStatus.UNAUTHORIZED, "the API key is not valid"));
        ServerAuthenticationEntryPoint missing = (exchange, e) -> problems.write(exchange,
                new Problem("missing-api-key", HttpStatus.UNAUTHORIZED,
                        "send the API key as 'Authorization: Bearer <key>'"));
        return stateless(http)
                .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/api/**"))
                .addFilterAt(filter, SecurityWebFiltersOrder.AUTHENTICATION)
                .exceptionHandling(e -> e.authenticationEntryPoint(missing))
                .authorizeExchange(a -> a.anyExchange().hasAuthority(Credential.BACKEND.getAuthority()))
                .build();
    }

    @Bean
    @Order(2)
    SecurityWebFilterChain clientChain(ServerHttpSecurity http, TokenVerifier verifier, ProblemWriter problems,
                                       CorsConfigurationSource cors, CookieOrigins cookies, ConnectProxy proxy) {
        ReactiveAuthenticationManager manager = auth -> {
            Credential presented = (Credential) auth;
            ConnectProxy.Attempt attempt = presented.attempt();
            if (attempt == null) {
                return Mono.fromCallable(() -> {
                    try {
                        return Credential.client(verifier.verify(presented.secret()));
                    } catch (InvalidTokenException e) {
                        throw new BadCredentialsException(e.getMessage());
                    }
                });
            }
            if (attempt.token() != null) {
                try { // uncounted: not a JWT may well be a token the backend knows
                    return Mono.just(Credential.client(verifier.uncounted().verify(attempt.token())));
                } catch (InvalidTokenException e) {
                    // not a valid JWT: the backend decides
                }
            }
            return proxy.admit(attempt)
                    .<org.springframework.security.core.Authentication>map(Credential::client)
                    .onErrorMap(ConnectProxy.Refused.class, refused -> new ProxyRefusal(refused, attempt));
        };
        AuthenticationWebFilter filter = new AuthenticationWebFilter(manager);
        filter.setServerAuthenticationConverter(new ClientTokenConverter(cookies, proxy));
        filter.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        filter.setAuthenticationSuccessHandler((webFilterExchange, authentication) -> {
            webFilterExchange.getExchange().getAttributes()
                    .put(CLIENT_CLAIMS_ATTRIBUTE, ((Credential) authentication).claims());
            return webFilterExchange.getChain().filter(webFilterExchange.getExchange());
        });
        filter.setAuthenticationFailureHandler((webFilterExchange, e) -> {
            ServerWebExchange exchange = webFilterExchange.getExchange();
            if (e instanceof ProxyRefusal refusal) {
                if (refusal.cookiesOnlyWebSocket()) {
                    // cookies the backend does not take, and no token: the client may still send an auth frame
                    return webFilterExchange.getChain().filter(exchange);
                }
                return problems.write(exchange, refusal.problem(exchange));
            }
            exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
            return problems.write(exchange, new Problem("invalid-token", HttpStatus.UNAUTHORIZED, e.getMessage()));
        });
        ServerAuthenticationEntryPoint missing = (exchange, e) -> problems.write(exchange,
                new Problem("missing-token", HttpStatus.UNAUTHORIZED, "a client token is required: "
                        + "'Authorization: Bearer <token>', ?token=<token> or the pushgate_token cookie"));
        return stateless(http)
                .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/ws", "/sse", "/poll", "/client/**"))
                .cors(c -> c.configurationSource(cors))
                .addFilterBefore(new WebSocketOriginFilter(cors, problems), SecurityWebFiltersOrder.CORS)
                .addFilterBefore(new ClientCommandGuard(cookies, problems), SecurityWebFiltersOrder.CORS)
                .addFilterAt(filter, SecurityWebFiltersOrder.AUTHENTICATION)
                .exceptionHandling(e -> e.authenticationEntryPoint(missing))
                .authorizeExchange(a -> a
                        .pathMatchers(HttpMethod.OPTIONS).permitAll()
                        .pathMatchers("/ws").permitAll() // may authenticate with an auth frame instead
                        .anyExchange().hasAuthority(Credential.CLIENT.getAuthority()))
                .build();
    }

    @Bean
    @Order(3)
    SecurityWebFilterChain publicChain(ServerHttpSecurity http) {
        return stateless(http)
                .authorizeExchange(a -> a.anyExchange().permitAll())
                .build();
    }

    /**
     * Authenticates a key sent as {@code Authorization: Bearer <key>} with {@code manager}, keeping no
     * security context between requests; a key the manager refuses is answered with {@code invalid}.
     */
    static AuthenticationWebFilter bearerKeyFilter(ReactiveAuthenticationManager manager, ProblemWriter problems,
                                                   Problem invalid) {
        AuthenticationWebFilter filter = new AuthenticationWebFilter(manager);
        filter.setServerAuthenticationConverter(exchange -> {
            String key = ClientTokens.bearer(exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
            return key == null ? Mono.empty() : Mono.just(Credential.presented(key));
        });
        filter.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        filter.setAuthenticationFailureHandler((webFilterExchange, e) -> problems.write(webFilterExchange.getExchange(), invalid));
        return filter;
    }

    /** The connect proxy refused a client: answered with the status it chose, before any upgrade. */
    static final class ProxyRefusal extends AuthenticationException {

        private final transient ConnectProxy.Refused refused;
        private final transient ConnectProxy.Attempt attempt;

        ProxyRefusal(ConnectProxy.Refused refused, ConnectProxy.Attempt attempt) {
            super(refused.getMessage());
            this.refused = refused;
            this.attempt = attempt;
        }

        /** A {@code /ws} upgrade with cookies and no token that the backend answered 401: upgraded without claims. */
        boolean cookiesOnlyWebSocket() {
            return refused.status() == 401 && attempt.token() == null && attempt.transport().equals("ws");
        }

        Problem problem(ServerWebExchange exchange) {
            HttpHeaders headers = exchange.getResponse().getHeaders();
            return switch (refused.status()) {
                case 401 -> {
                    headers.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
                    yield new Problem("connect-refused", HttpStatus.UNAUTHORIZED, refused.getMessage());
                }
                case 403 -> new Problem("connect-refused", HttpStatus.FORBIDDEN, refused.getMessage());
                case 429 -> {
                    headers.set(HttpHeaders.RETRY_AFTER, "1");
                    yield new Problem("rate-limited", HttpStatus.TOO_MANY_REQUESTS, refused.getMessage());
                }
                case 502 -> new Problem("backend-bad-answer", HttpStatus.BAD_GATEWAY, refused.getMessage());
                default -> {
                    headers.set(HttpHeaders.RETRY_AFTER, "1");
                    yield new Problem("backend-unavailable", HttpStatus.SERVICE_UNAVAILABLE, refused.getMessage());
                }
            };
        }
    }

    /** A chain that keeps no session, context or saved request, and offers no login of its own. */
    static ServerHttpSecurity stateless(ServerHttpSecurity http) {
        return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(r -> r.requestCache(org.springframework.security.web.server.savedrequest.NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance());
    }
}
