package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.ws;
import static io.pushgate.support.TestBackend.ofUid;
import static io.pushgate.support.TestBackend.type;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.pushgate.support.Closer;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestBackend;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * In a cluster, {@code online} and {@code offline} are told once per uid, by one node, however its sessions
 * are spread over the nodes and however close together they come and go; a node that dies has its uids'
 * offline told by the node that reaps it.
 */
class ClusterEventsTests {

    RedisServer redis;
    TestBackend backend;
    ClusterNode a;
    ClusterNode b;

    @BeforeEach
    void startCluster() {
        redis = RedisServer.start();
        backend = TestBackend.start();
        a = ClusterNode.start("na", redis, backend.properties());
        b = ClusterNode.start("nb", redis, backend.properties());
    }

    @AfterEach
    void stopCluster() {
        Closer.closeAll(b, a, redis, backend);
        assertThat(backend.badSignatures()).isZero();
    }

    @Test
    void onlineAndOfflineComeExactlyOncePerUidWhenItsSessionsOnTwoNodesComeAndGoTogether() {
        List<String> uids = new ArrayList<>();
        List<CompletableFuture<WsTestClient>> opening = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String uid = TestSecrets.uniqueUid("edge" + i);
            uids.add(uid);
            opening.add(CompletableFuture.supplyAsync(() -> ws(a, TestSecrets.token(uid))));
            opening.add(CompletableFuture.supplyAsync(() -> ws(b, TestSecrets.token(uid))));
        }
        List<WsTestClient> clients = opening.stream().map(CompletableFuture::join).toList();
        for (String uid : uids) {
            backend.await(ofUid(uid).and(type("online")), 1);
        }
        List<CompletableFuture<Void>> closing = clients.stream().map(c -> CompletableFuture.runAsync(c::close)).toList();
        closing.forEach(CompletableFuture::join);
        for (String uid : uids) {
            backend.await(ofUid(uid).and(type("offline")), 1);
        }
        settled();

        for (String uid : uids) {
            assertThat(backend.matching(ofUid(uid).and(type("connect")))).hasSize(2);
            assertThat(backend.matching(ofUid(uid).and(type("disconnect")))).hasSize(2);
            assertThat(backend.matching(ofUid(uid).and(type("online")))).as("online of %s", uid).hasSize(1);
            assertThat(backend.matching(ofUid(uid).and(type("offline")))).as("offline of %s", uid).hasSize(1);
            JsonNode online = backend.matching(ofUid(uid).and(type("online"))).get(0);
            assertThat(online.path("node").asString()).isIn("na", "nb");
            assertThat(online.path("clientId").asString()).as("named by the session that came first")
                    .startsWith(online.path("node").asString());
        }
    }

    @Test
    void theUidsOfANodeThatDiesAreToldOfflineByTheNodeThatReapsIt() {
        String onlyOnB = TestSecrets.uniqueUid("dies");
        String onBoth = TestSecrets.uniqueUid("survives");
        try (WsTestClient c1 = ws(b, TestSecrets.token(onlyOnB));
             WsTestClient c2 = ws(b, TestSecrets.token(onBoth));
             WsTestClient c3 = ws(a, TestSecrets.token(onBoth))) {
            backend.await(ofUid(onlyOnB).and(type("online")), 1);
            backend.await(ofUid(onBoth).and(type("connect")), 2);
            b.kill();
            JsonNode offline = backend.await(ofUid(onlyOnB).and(type("offline")), 1).get(0);
            assertThat(offline.path("node").asString()).as("told by the reaper").isEqualTo("na");
            settledOn(a);
            assertThat(backend.matching(ofUid(onBoth).and(type("offline")))).as("still online on a").isEmpty();
            assertThat(backend.matching(ofUid(onlyOnB).and(type("offline")))).hasSize(1);
        }
    }

    /** Every edge the nodes had to tell is told: each node's events arrive in order, so a marker's last. */
    private void settled() {
        settledOn(a);
        settledOn(b);
    }

    private void settledOn(ClusterNode node) {
        String marker = TestSecrets.uniqueUid("marker-" + node.nodeId());
        try (WsTestClient ignored = ws(node, TestSecrets.token(marker))) {
            backend.await(ofUid(marker).and(type("online")), 1);
        }
        backend.await(ofUid(marker).and(type("offline")), 1);
    }
}
