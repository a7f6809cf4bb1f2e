package io.pushgate.web;

import java.net.URI;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.HEAD;

/**
 * The demo page in {@code static/demo/}: {@code /demo/} serves its {@code index.html} (the static
 * resource handler only serves it as {@code /demo/index.html}), and {@code /demo} redirects there (keeping the query, e.g. {@code ?token=}). The
 * redirect is relative, so it also works under a proxy's sub-path ({@code /push/demo}).
 */
@Configuration(proxyBeanMethods = false)
public class DemoPage {

    @Bean
    RouterFunction<ServerResponse> demoPageRoutes() {
        ClassPathResource index = new ClassPathResource("static/demo/index.html");
        return RouterFunctions
                .route(GET("/demo"), request -> {
                    String query = request.uri().getRawQuery();
                    return ServerResponse.status(HttpStatus.FOUND)
                            .location(URI.create(query == null ? "demo/" : "demo/?" + query)).build();
                })
                .andRoute(GET("/demo/").or(HEAD("/demo/")), request -> ServerResponse.ok()
                        .contentType(MediaType.TEXT_HTML).cacheControl(CacheControl.noCache()).bodyValue(index));
    }
}
