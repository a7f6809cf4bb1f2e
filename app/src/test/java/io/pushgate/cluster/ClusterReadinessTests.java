package io.pushgate.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pushgate.support.Closer;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.Management;
import io.pushgate.support.RedisServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Readiness follows Redis: a node whose Redis is gone (a real {@code redis-server}, stopped) is taken
 * out of rotation while liveness stays UP, and comes back by itself once Redis answers and the node has
 * read up.
 */
class ClusterReadinessTests {

    RedisServer redis;
    ClusterNode node;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        node = ClusterNode.start("ready", redis);
    }

    @AfterEach
    void stop() {
        Closer.closeAll(node, redis);
    }

    @Test
    void readinessIsDownWhileRedisIsStoppedAndUpAfterItRestarts() {
        Management management = Management.of(node.context());
        await().atMost(ClusterTests.PROPAGATION).until(() -> management.get("/actuator/health/readiness").status() == 200);
        assertThat(management.get("/actuator/info").json().path("pushgate").path("broker").asString()).isEqualTo("redis");

        redis.stop();
        await().atMost(ClusterTests.PROPAGATION).untilAsserted(() -> {
            Management.Answer readiness = management.get("/actuator/health/readiness");
            assertThat(readiness.status()).isEqualTo(503);
            assertThat(readiness.json().path("components").path("broker").path("status").asString()).isEqualTo("DOWN");
        });
        Management.Answer liveness = management.get("/actuator/health/liveness");
        assertThat(liveness.status()).as("a node waiting for Redis is not restarted").isEqualTo(200);
        assertThat(liveness.health()).isEqualTo("UP");

        redis.restart();
        await().atMost(ClusterTests.PROPAGATION).untilAsserted(() -> {
            Management.Answer readiness = management.get("/actuator/health/readiness");
            assertThat(readiness.status()).isEqualTo(200);
            assertThat(readiness.health()).isEqualTo("UP");
        });
        assertThat(management.get("/actuator/health/liveness").health()).isEqualTo("UP");
    }
}
