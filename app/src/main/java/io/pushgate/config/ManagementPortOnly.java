package io.pushgate.config;

import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointProperties;
import org.springframework.boot.actuate.autoconfigure.web.server.ConditionalOnManagementPort;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.WebFilter;

/**
 * The management port answers Actuator's paths and nothing else. Its server runs in a child context,
 * and WebFlux there takes the handler mappings of the application context as well, so {@code /ws} would
 * otherwise be served on it too. Imported by Actuator into that child context only
 * ({@code META-INF/spring/...ManagementContextConfiguration.imports}); deliberately not a
 * {@code @Configuration}, so the application's component scan leaves it out of the main context, where
 * it would refuse everything but Actuator.
 */
public class ManagementPortOnly {

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    @ConditionalOnManagementPort(ManagementPortType.DIFFERENT)
    WebFilter pushgateManagementPortOnly(WebEndpointProperties endpoints) {
        String base = endpoints.getBasePath();
        return (exchange, chain) -> {
            String path = exchange.getRequest().getPath().pathWithinApplication().value();
            if (base.isEmpty() || path.equals(base) || path.startsWith(base + "/")) {
                return chain.filter(exchange);
            }
            exchange.getResponse().setStatusCode(HttpStatus.NOT_FOUND);
            return exchange.getResponse().setComplete();
        };
    }
}
