package io.pushgate.security;

import java.util.List;

import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemWriter;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;

import reactor.core.publisher.Mono;

/**
 * The admin page's JSON API, {@code /admin/api/**}: an admin key ({@link AdminKeys}) as
 * {@code Authorization: Bearer <key>}, nothing else; API keys and client tokens are refused there, and
 * admin keys are refused everywhere else. Stateless: the page keeps the key in its tab's
 * {@code sessionStorage} and sends it with each call, so no cookie exists that another site could make a
 * browser send. Ahead of the other chains, so {@code /admin/api/} never falls to the public one.
 */
@Configuration(proxyBeanMethods = false)
public class AdminSecurity {

    static final SimpleGrantedAuthority ADMIN = new SimpleGrantedAuthority("ROLE_ADMIN");

    @Bean
    @Order(0)
    SecurityWebFilterChain adminChain(ServerHttpSecurity http, AdminKeys keys, ProblemWriter problems) {
        ReactiveAuthenticationManager manager = auth -> Mono.fromCallable(() -> {
            String secret = ((Credential) auth).secret();
            if (keys.matches(secret)) {
                // the principal's name is the key's id (never the key), for the audit log
                return new PreAuthenticatedAuthenticationToken(ApiKeys.id(secret), "", List.of(ADMIN));
            }
            throw new BadCredentialsException("invalid admin key");
        });
        AuthenticationWebFilter filter = SecurityConfig.bearerKeyFilter(manager, problems,
                new Problem("invalid-admin-key", HttpStatus.UNAUTHORIZED, "the admin key is not valid"));
        ServerAuthenticationEntryPoint missing = (exchange, e) -> problems.write(exchange,
                new Problem("missing-admin-key", HttpStatus.UNAUTHORIZED,
                        "send an admin key (pushgate.admin.keys) as 'Authorization: Bearer <key>'"));
        return SecurityConfig.stateless(http)
                .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/admin/api/**"))
                .addFilterAt(filter, SecurityWebFiltersOrder.AUTHENTICATION)
                .exceptionHandling(e -> e.authenticationEntryPoint(missing))
                .authorizeExchange(a -> a.anyExchange().hasAuthority(ADMIN.getAuthority()))
                .build();
    }
}
