package io.pushgate.config;

import java.util.LinkedHashMap;
import java.util.Map;

import io.pushgate.core.Broker;
import io.pushgate.core.PushNode;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.web.server.ConditionalOnManagementPort;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;

/**
 * What Actuator reports about the node, on the management port only ({@code management.*} in
 * {@code application.properties}). The readiness group is {@code readinessState}, {@code node} and
 * {@code broker} (bean names without {@code HealthIndicator}): a load balancer or Kubernetes stops
 * sending clients while the node drains or is cut off from its cluster, and liveness, which has none of
 * them, stays UP, so a node that is merely draining or waiting for Redis is never restarted for it.
 */
@Configuration(proxyBeanMethods = false)
public class OperationsConfig {

    /**
     * DOWN once the node refuses new sessions: from the start of a drain (SIGTERM) on. The drain runs in
     * the highest lifecycle phase, before Actuator's management server stops, so probes see this.
     */
    @Bean
    ReactiveHealthIndicator nodeHealthIndicator(PushNode node) {
        return () -> Mono.fromSupplier(() -> node.isAccepting()
                ? Health.up().withDetail("id", node.nodeId()).build()
                : Health.down().withDetail("id", node.nodeId()).withDetail("draining", true).build());
    }

    /** DOWN while the broker cannot reach the cluster (Redis unreachable, or read again after a gap). */
    @Bean
    ReactiveHealthIndicator brokerHealthIndicator(Broker broker, PushgateProperties properties) {
        return () -> Mono.fromSupplier(() -> (broker.healthy() ? Health.up() : Health.down())
                .withDetail("type", properties.broker()).build());
    }

    /**
     * Refuses to start when Actuator would answer on the public port: with {@code management.server.port}
     * equal to {@code server.port} (e.g. {@code --server.port=9090} and the default management port),
     * Spring Boot serves Actuator from the application's own server.
     */
    @Bean
    @ConditionalOnManagementPort(ManagementPortType.SAME)
    Object actuatorWouldBePublic(Environment environment) {
        throw new IllegalStateException("management.server.port (" + environment.getProperty("management.server.port")
                + ") is the public port (server.port): Actuator would answer there. Give management.server.port"
                + " another port, or -1 to turn Actuator's HTTP endpoints off");
    }

    /** {@code /actuator/info}: {@code pushgate.version}, {@code pushgate.node}, {@code pushgate.broker}. */
    @Bean
    InfoContributor pushgateInfoContributor(PushNode node, PushgateProperties properties, ObjectProvider<BuildProperties> build) {
        return builder -> {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("version", version(build.getIfAvailable()));
            info.put("node", node.nodeId());
            info.put("broker", properties.broker());
            builder.withDetail("pushgate", info);
        };
    }

    /** From {@code META-INF/build-info.properties} (written by the build), else the jar's manifest. */
    private static String version(@Nullable BuildProperties build) {
        if (build != null && build.getVersion() != null) {
            return build.getVersion();
        }
        String manifest = OperationsConfig.class.getPackage().getImplementationVersion();
        return manifest != null ? manifest : "unknown";
    }
}
