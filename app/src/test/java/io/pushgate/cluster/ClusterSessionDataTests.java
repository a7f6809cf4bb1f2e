package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.http.HttpMethod.PATCH;
import static org.springframework.http.HttpMethod.PUT;

import io.pushgate.support.Closer;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Session data is cluster-wide: set through any node for a client on any node, read back from every node,
 * known to a node that starts later, and gone with the connection.
 */
class ClusterSessionDataTests {

    RedisServer redis;
    ClusterNode a;
    ClusterNode b;

    @BeforeEach
    void startCluster() {
        redis = RedisServer.start();
        a = ClusterNode.start("na", redis);
        b = ClusterNode.start("nb", redis);
    }

    @AfterEach
    void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void dataSetThroughOneNodeIsReadOnEveryNodeAndOnANodeThatStartsLater() {
        String uid = TestSecrets.uniqueUid("cluster-data");
        String path;
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            String clientId = awaitSessions(b, uid, 1).get(0);
            path = "/api/v1/clients/" + clientId + "/data";

            b.api().send(PUT, path, "{\"room\":\"7\",\"n\":1.50}", 200);
            await().untilAsserted(() -> assertThat(a.api().raw(path)).isEqualTo("{\"room\":\"7\",\"n\":1.50}"));
            await().untilAsserted(() -> assertThat(b.api().raw(path)).isEqualTo("{\"room\":\"7\",\"n\":1.50}"));

            a.api().send(PATCH, path, "{\"room\":null,\"seen\":true}", 200);
            await().untilAsserted(() -> assertThat(b.api().raw(path)).isEqualTo("{\"n\":1.50,\"seen\":true}"));

            try (ClusterNode late = ClusterNode.start("nc", redis)) {
                assertThat(late.api().raw(path)).as("a node started later loads it with presence")
                        .isEqualTo("{\"n\":1.50,\"seen\":true}");
            }
        }
        await().untilAsserted(() -> b.api().get(path, 404));
        a.api().get(path, 404);
    }
}
