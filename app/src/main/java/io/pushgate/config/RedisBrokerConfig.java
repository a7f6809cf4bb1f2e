package io.pushgate.config;

import java.time.Clock;
import java.time.Duration;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.pushgate.broker.redis.PublicationCodec;
import io.pushgate.broker.redis.RedisBroker;
import io.pushgate.broker.redis.RedisSettings;
import io.pushgate.core.PushNode;
import io.pushgate.transport.netty.EventLoopTicks;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import tools.jackson.databind.json.JsonMapper;

/**
 * {@code pushgate.broker=redis}: the node joins the cluster whose Redis the standard
 * {@code spring.data.redis.*} settings name (standalone, Sentinel or Cluster).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "pushgate.broker", havingValue = "redis")
public class RedisBrokerConfig {

    private static final Logger log = LoggerFactory.getLogger(RedisBrokerConfig.class);
    /**
     * How often the Redis Cluster client re-reads the cluster's topology when
     * {@code spring.data.redis.lettuce.cluster.refresh.period} is not set: after a master dies, the node
     * finds its promoted replica within this of the promotion.
     */
    static final Duration CLUSTER_REFRESH_PERIOD = Duration.ofSeconds(2);

    @Bean(destroyMethod = "close")
    RedisBroker redisBroker(PushNode node, ReactiveStringRedisTemplate redis, ReactiveRedisConnectionFactory factory,
                            PushgateProperties properties, JsonMapper mapper) {
        PushgateProperties.Redis r = properties.redis();
        RedisBroker broker = new RedisBroker(node, redis, factory,
                new RedisSettings(r.prefix(), r.heartbeat(), r.nodeTimeout(), r.timeout(), r.logLength(),
                        r.maxPendingPublishes(), properties.api().idempotencyWindow(), r.partitions()),
                new PublicationCodec(mapper), Clock.systemUTC(), properties.history().maxMessages(),
                properties.history().maxHeldMessages());
        broker.start();
        Duration wait = r.timeout().multipliedBy(5);
        if (!broker.awaitStarted(wait)) {
            log.warn("Redis did not answer within {}: this node starts alone and joins the cluster when Redis answers", wait);
        }
        return broker;
    }

    /**
     * Commands fail at once while Redis is unreachable instead of waiting in Lettuce's queue: a publish
     * then answers 503 at once and the node notices it is cut off.
     */
    @Bean
    LettuceClientConfigurationBuilderCustomizer pushgateRejectWhileDisconnected() {
        return builder -> {
            ClientOptions current = builder.build().getClientOptions().orElse(ClientOptions.create());
            builder.clientOptions(current.mutate()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
        };
    }

    /**
     * On Redis Cluster, re-reads the topology every {@link #CLUSTER_REFRESH_PERIOD} unless
     * {@code spring.data.redis.lettuce.cluster.refresh.period} says otherwise. Lettuce's adaptive triggers
     * (on by default) follow an operator's {@code CLUSTER FAILOVER} at once (the old master answers
     * {@code MOVED}), but not a master's death: the only trigger then is the reconnects to the dead master,
     * whose back-off doubles (attempts about 4, 8, 16, 33 and 63 s after the death, then every 30 s) and
     * which refresh at most once per 5 s, so a refresh made just before the replica's promotion (which
     * takes {@code cluster-node-timeout}, 15 s by default, and more) may be the last for up to 30 s, and
     * all that time every publish answers 503. Each refresh asks every Redis node for its view (a
     * connection and a {@code CLUSTER NODES} each): cheap at one per 2 s.
     */
    @Bean
    LettuceClientConfigurationBuilderCustomizer pushgateFollowClusterFailovers() {
        return builder -> {
            if (builder.build().getClientOptions().orElse(null) instanceof ClusterClientOptions current
                    && !current.getTopologyRefreshOptions().isPeriodicRefreshEnabled()) {
                ClusterTopologyRefreshOptions refresh = current.getTopologyRefreshOptions();
                // the same options but the period: the builder has no copy, so every other one is carried over
                ClusterTopologyRefreshOptions.Builder withPeriod = ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(CLUSTER_REFRESH_PERIOD)
                        .disableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(refresh.getAdaptiveRefreshTimeout())
                        .refreshTriggersReconnectAttempts(refresh.getRefreshTriggersReconnectAttempts())
                        .dynamicRefreshSources(refresh.useDynamicRefreshSources())
                        .closeStaleConnections(refresh.isCloseStaleConnections());
                if (!refresh.getAdaptiveRefreshTriggers().isEmpty()) {
                    withPeriod.enableAdaptiveRefreshTrigger(refresh.getAdaptiveRefreshTriggers()
                            .toArray(ClusterTopologyRefreshOptions.RefreshTrigger[]::new));
                }
                builder.clientOptions(current.mutate().topologyRefreshOptions(withPeriod.build()).build());
            }
        };
    }

    /** The Redis client's loops tick too: a command handed to an idle one must not wait for its next I/O. */
    @Bean
    ClientResourcesBuilderCustomizer pushgateRedisLoopTicks() {
        return builder -> builder.nettyCustomizer(new NettyCustomizer() {
            @Override
            public void afterChannelInitialized(Channel channel) {
                EventLoopTicks.ensure(channel.eventLoop());
            }
        });
    }
}
