package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static io.pushgate.cluster.RedisTopologyBehaviour.assertDeliveredOnce;
import static io.pushgate.cluster.RedisTopologyBehaviour.awaitJoined;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.List;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisSentinel;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.http.MediaType;

/**
 * Two nodes on a master and a replica watched by a Sentinel, through a failover: the nodes follow the
 * master the Sentinel names, and a publish after the failover is delivered once across nodes. First an
 * operator's {@code SENTINEL FAILOVER} (the replica is promoted, the old master demoted to its replica),
 * then the new master's death (the Sentinel promotes the other server back). The tests run in that order:
 * the second needs the replica the first leaves.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SentinelFailoverTests {

    static RedisServer first;
    static RedisServer second;
    static RedisSentinel sentinel;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        first = RedisServer.start();
        second = RedisServer.startReplicaOf(first);
        sentinel = RedisSentinel.start(first, second);
        String[] throughSentinel = {
                "spring.data.redis.sentinel.master=" + RedisSentinel.MASTER,
                "spring.data.redis.sentinel.nodes=" + sentinel.nodes(),
        };
        a = ClusterNode.start("fva", throughSentinel);
        b = ClusterNode.start("fvb", throughSentinel);
        awaitJoined(a, b);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, sentinel, second, first);
    }

    @Test
    @Order(1)
    void afterAnOperatorsFailoverThePromotedReplicaCarriesTheClusterAndAPublishIsDeliveredOnce() {
        String uid = TestSecrets.uniqueUid("failover");
        try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            RedisServer old = master();
            String before = a.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(before);

            RedisServer promoted = server(sentinel.failover());

            assertThat(promoted).isNotSameAs(old);
            assertThat(promoted.role()).isEqualTo("master");
            // the Sentinel turns the old master into a replica and drops its clients: the nodes reconnect
            // through the Sentinel, to the promoted one
            await("the old master demoted").atMost(RedisSentinel.FAILOVER_WAIT).until(() -> "slave".equals(old.role()));
            awaitAcceptingPublishes();
            assertDeliveredOnce(a, onB, uid);
            awaitSessions(a, uid, 1);
            assertThat(promoted.command("ZRANGE", "{pushgate}:nodes", "0", "-1")).contains("fva", "fvb");
        }
    }

    @Test
    @Order(2)
    void whenTheMasterDiesTheSentinelPromotesItsReplicaAndTheNodesDeliverThroughIt() {
        sentinel.awaitHealthyReplicas(1);
        String uid = TestSecrets.uniqueUid("masterdies");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 1);
            RedisServer dying = master();

            dying.stop(); // the master's process ends: its clients' connections drop, the Sentinel sees it down

            RedisServer promoted = server(sentinel.awaitMasterOtherThan(dying.port()));
            assertThat(promoted).isNotSameAs(dying);
            awaitAcceptingPublishes();
            assertDeliveredOnce(b, onA, uid);
            awaitSessions(b, uid, 1); // presence restated on the promoted master
            assertThat(promoted.command("HLEN", "{pushgate}:s:fva")).isEqualTo("1");
        }
    }

    /** Waits until each node answers a publish 200 again (not 503): it found the master and is in step. */
    private static void awaitAcceptingPublishes() {
        String nobody = TestSecrets.uniqueUid("probe"); // no session: the probes reach no client
        for (ClusterNode node : List.of(a, b)) {
            await(node + " accepting publishes").atMost(RedisSentinel.FAILOVER_WAIT).until(() ->
                    node.api().client().post().uri("/api/v1/messages").contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(toUid(nobody, 0)).exchange().expectBody().returnResult().getStatus().value() == 200);
        }
    }

    /** The server the Sentinel names as master now. */
    private static RedisServer master() {
        return server(sentinel.masterPort());
    }

    private static RedisServer server(int port) {
        for (RedisServer server : List.of(first, second)) {
            if (server.port() == port) {
                return server;
            }
        }
        throw new IllegalStateException("the sentinel names 127.0.0.1:" + port + ", neither " + first + " nor " + second);
    }
}
