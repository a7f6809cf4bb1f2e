package io.pushgate.support;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

import io.pushgate.PushgateApplication;
import io.pushgate.core.Broker;

import reactor.core.publisher.Mono;

/**
 * One whole pushgate node in this JVM, on a random port, in a cluster through a {@link RedisServer} (or a
 * {@link RedisSentinel} or {@link RedisClusterServers}): several of them on one Redis are a cluster. It runs
 * with the {@link TestSecrets}, its own node id, and a short Redis heartbeat (500 ms) and node timeout
 * (1.5 s) so tests see a dead node declared dead quickly.
 *
 * <p>Settings are passed as command-line arguments, so they win over {@code application.properties}
 * (which sets {@code server.port=8080}); a caller's extra settings override these defaults.
 *
 * <p>Each node runs its web server on event loops of its own instead of Reactor Netty's global ones: a
 * node's context disposes the global loops when it closes, which would take the web server of every
 * other node in the JVM (and of cached {@code @SpringBootTest} contexts) down with it.
 */
public final class ClusterNode implements AutoCloseable {

    /**
     * The cluster log's partitions every node starts with unless a test says otherwise: the system property
     * {@code pushgate.test.partitions} (the build's second run of the cluster tests sets it), else 1.
     */
    public static final int PARTITIONS = Integer.getInteger("pushgate.test.partitions", 1);

    /**
     * The prefix of the Redis keys of the log that carries the uid's messages ({@code log}, {@code seq},
     * {@code epoch}) with {@link #PARTITIONS}: the one log's, or the uid's partition's.
     */
    public static String messageKeys(String uid) {
        return io.pushgate.broker.redis.RedisBroker.messageKeyPrefix("pushgate", PARTITIONS, uid);
    }

    /** A fresh uid, starting with {@code prefix}, whose messages travel in the same log as {@code uid}'s. */
    public static String uidBeside(String uid, String prefix) {
        return uidBeside(uid, prefix, PARTITIONS);
    }

    /** As {@link #uidBeside(String, String)}, on a log of {@code partitions}. */
    public static String uidBeside(String uid, String prefix, int partitions) {
        String keys = io.pushgate.broker.redis.RedisBroker.messageKeyPrefix("pushgate", partitions, uid);
        while (true) {
            String other = TestSecrets.uniqueUid(prefix);
            if (io.pushgate.broker.redis.RedisBroker.messageKeyPrefix("pushgate", partitions, other).equals(keys)) {
                return other;
            }
        }
    }

    private final String nodeId;
    private final ConfigurableApplicationContext context;

    private ClusterNode(String nodeId, ConfigurableApplicationContext context) {
        this.nodeId = nodeId;
        this.context = context;
    }

    /**
     * Starts a node with {@code pushgate.broker=redis} on {@code redis}, returning once its web server
     * listens.
     *
     * @param extraProperties {@code key=value} settings; later ones override earlier ones and the defaults
     */
    public static ClusterNode start(String nodeId, RedisServer redis, String... extraProperties) {
        String[] properties = new String[extraProperties.length + 2];
        properties[0] = "spring.data.redis.host=127.0.0.1";
        properties[1] = "spring.data.redis.port=" + redis.port();
        System.arraycopy(extraProperties, 0, properties, 2, extraProperties.length);
        return start(nodeId, properties);
    }

    /**
     * Starts a node with {@code pushgate.broker=redis} on whatever Redis {@code properties} name with
     * Spring Boot's {@code spring.data.redis.*} settings: a Sentinel ({@code spring.data.redis.sentinel.master}
     * and {@code spring.data.redis.sentinel.nodes}, see {@link RedisSentinel}) or a Redis Cluster
     * ({@code spring.data.redis.cluster.nodes}, see {@link RedisClusterServers}). Returns once its web server
     * listens.
     *
     * @param properties {@code key=value} settings; later ones override earlier ones and the defaults
     */
    public static ClusterNode start(String nodeId, String... properties) {
        Map<String, String> settings = new LinkedHashMap<>();
        put(settings, "server.port=0");
        put(settings, "pushgate.broker=redis");
        put(settings, "pushgate.node.id=" + nodeId);
        put(settings, "pushgate.auth.jwt-secret=" + TestSecrets.JWT_SECRET);
        put(settings, "pushgate.api.keys=" + TestSecrets.API_KEY);
        put(settings, "pushgate.redis.heartbeat=500ms");
        put(settings, "pushgate.redis.node-timeout=1500ms");
        put(settings, "spring.reactor.netty.shutdown-quiet-period=0s"); // see PushgateIntegrationTest
        put(settings, "management.server.port=0"); // nodes run side by side
        // the cluster tests run twice in the build: on one log, and on a partitioned one (docs/partitioned-log.md)
        put(settings, "pushgate.redis.partitions=" + PARTITIONS);
        for (String property : properties) {
            put(settings, property);
        }
        // one argument per key: a repeated --key would be read as the comma-joined list of its values
        String[] args = settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(PushgateApplication.class)
                .main(PushgateApplication.class)
                .web(WebApplicationType.REACTIVE)
                .initializers(ClusterNode::ownEventLoops)
                .run(args);
        return new ClusterNode(nodeId, context);
    }

    public String nodeId() {
        return nodeId;
    }

    /** The port the node's web server listens on. */
    public int port() {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    /** The backend API of this node, authenticated with {@link TestSecrets#API_KEY}. */
    public Api api() {
        return new Api(port());
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public boolean isRunning() {
        return context.isActive();
    }

    /** Shuts the node down gracefully, as on SIGTERM: sessions are drained and the broker says goodbye. */
    @Override
    public void close() {
        if (context.isActive()) {
            context.close();
        }
    }

    /**
     * Kills the node as {@code kill -9} would, as far as one JVM allows: nothing it does on the way out
     * reaches Redis, so the rest of the cluster learns of its death only by its heartbeat stopping.
     *
     * <p>It calls the broker's test hook {@code crash()} when the broker has one (the Redis broker does:
     * the node dying, it drops its connections to Redis at once, without a goodbye or any clean-up,
     * and everything after that fails instead of reaching Redis), then closes the context, whose graceful
     * shutdown can then no longer tell Redis anything. A broker without {@code crash()} (the local one,
     * which has no one to tell) is just closed.
     */
    public void kill() {
        if (!context.isActive()) {
            return;
        }
        Broker broker = context.getBean(Broker.class);
        Method crash;
        try {
            crash = broker.getClass().getMethod("crash");
        } catch (NoSuchMethodException e) {
            crash = null;
        }
        if (crash != null) {
            try {
                crash.setAccessible(true); // the broker's class need not be public
                if (crash.invoke(broker) instanceof Mono<?> crashed) {
                    crashed.block(Duration.ofSeconds(10));
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot call " + crash, e);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(broker.getClass().getSimpleName() + ".crash() failed", e.getCause());
            }
        }
        context.close();
    }

    @Override
    public String toString() {
        return "node " + nodeId + (context.isActive() ? " on port " + port() : " (stopped)");
    }

    private static void put(Map<String, String> settings, String property) {
        int equals = property.indexOf('=');
        if (equals <= 0) {
            throw new IllegalArgumentException("not key=value: " + property);
        }
        settings.put(property.substring(0, equals).trim(), property.substring(equals + 1));
    }

    /**
     * Gives the node's web server event loops of its own, in place of the auto-configured factory's
     * global ones (which back off when this bean exists).
     */
    private static void ownEventLoops(ConfigurableApplicationContext context) {
        ((GenericApplicationContext) context).registerBean("clusterNodeReactorResourceFactory",
                ReactorResourceFactory.class, () -> {
                    ReactorResourceFactory factory = new ReactorResourceFactory();
                    factory.setUseGlobalResources(false);
                    factory.setShutdownQuietPeriod(Duration.ZERO);
                    return factory;
                });
    }
}
