package io.pushgate.admin;

import java.net.URI;

import io.pushgate.security.AdminKeys;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.HEAD;

/**
 * Serves {@code /admin/} ({@code static/admin/index.html}; its script and style are files of their own,
 * so the page runs under a Content-Security-Policy that allows no inline code) and redirects
 * {@code /admin} there. Without {@code pushgate.admin.keys} everything under {@code /admin} answers 404,
 * saying the page is off.
 */
@Configuration(proxyBeanMethods = false)
public class AdminPage {

    /** Scripts, styles and calls from the page's own origin only; no framing, no plugins, no inline code. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    static final String OFF = "The admin page is off: set pushgate.admin.keys (PUSHGATE_ADMIN_KEYS) to switch it on.\n";

    @Bean
    RouterFunction<ServerResponse> adminPageRoutes() {
        ClassPathResource index = new ClassPathResource("static/admin/index.html");
        return RouterFunctions
                .route(GET("/admin"), request -> ServerResponse.status(HttpStatus.FOUND).location(URI.create("admin/")).build())
                .andRoute(GET("/admin/").or(HEAD("/admin/")), request -> ServerResponse.ok()
                        .contentType(MediaType.TEXT_HTML).cacheControl(CacheControl.noStore())
                        .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                        .bodyValue(index));
    }

    /** Ahead of Spring Security's filters (-100), so an admin key is never even asked for while the page is off. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    WebFilter adminOff(AdminKeys keys) {
        return (exchange, chain) -> {
            String path = exchange.getRequest().getPath().pathWithinApplication().value();
            if (keys.enabled() || !(path.equals("/admin") || path.startsWith("/admin/"))) {
                return chain.filter(exchange);
            }
            exchange.getResponse().setStatusCode(HttpStatus.NOT_FOUND);
            exchange.getResponse().getHeaders().setContentType(MediaType.TEXT_PLAIN);
            return exchange.getResponse().writeWith(reactor.core.publisher.Mono.just(
                    exchange.getResponse().bufferFactory().wrap(OFF.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        };
    }
}
