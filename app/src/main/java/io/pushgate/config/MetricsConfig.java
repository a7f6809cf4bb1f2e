package io.pushgate.config;

import io.pushgate.core.Broker;
import io.pushgate.core.History;
import io.pushgate.core.PushNode;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.ConnectProxy;
import io.pushgate.metrics.PushgateMeters;
import io.pushgate.security.HmacTokens;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/**
 * The pushgate meters ({@code /actuator/prometheus} on the management port; list in
 * {@code docs/operations.md}). Spring Boot binds every {@code MeterBinder} bean to its registry.
 */
@Configuration(proxyBeanMethods = false)
public class MetricsConfig {

    @Bean
    PushgateMeters pushgateMeters(PushNode node, Broker broker, History history) {
        return new PushgateMeters(node, broker, history);
    }

    /**
     * The client token verifier every final check uses (Spring Security's, the WebSocket {@code auth}
     * frame, Socket.IO), counting refusals by reason. Fast paths that hand a refused token on to one of
     * those take {@link HmacTokens} itself, or {@link TokenVerifier#uncounted()}, so a refusal counts once.
     */
    @Bean
    @Primary
    TokenVerifier clientTokenVerifier(HmacTokens tokens, PushNode node) {
        return node.meters().counted(tokens);
    }

    /** The connect proxy the transports use, counting its refusals ({@code backend_refused}, {@code backend_unavailable}). */
    @Bean
    @Primary
    ConnectProxy clientConnectProxy(@Qualifier("connectProxy") ConnectProxy proxy, PushNode node) {
        return node.meters().counted(proxy);
    }
}
