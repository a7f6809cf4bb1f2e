package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A ban given through one node refuses the uid on every node, and on a node that starts later. */
class ClusterBanTests {

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
    void aBanGivenThroughOneNodeRefusesTheUidOnEveryNode() {
        String uid = TestSecrets.uniqueUid("cluster-ban");
        try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            assertThat(a.api().delete("/api/v1/uids/" + uid + "/sessions?ban=60", 200).path("closed").asInt()).isEqualTo(1);
            assertThat(onB.awaitClose().code()).isEqualTo(4403);
        }
        // the ban reached b before the kick that followed it in the log
        try (WsTestClient again = WsTestClient.connect(b.api().ws("token=" + TestSecrets.token(uid)))) {
            assertThat(again.awaitClose().reason()).isEqualTo("banned");
        }
        assertThat(b.api().get("/api/v1/uids/" + uid).path("bannedUntil").asLong()).isGreaterThan(System.currentTimeMillis());
        try (ClusterNode late = ClusterNode.start("nc", redis);
             WsTestClient onLate = WsTestClient.connect(late.api().ws("token=" + TestSecrets.token(uid)))) {
            assertThat(onLate.awaitClose().reason()).as("a node started later knows the ban").isEqualTo("banned");
        }
    }
}
