package io.pushgate.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.pushgate.core.PushNode;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * The input limits with the Redis broker: a payload crosses the log byte-exact, and the membership caps
 * hold for the cluster's {@code uidgroups} hash however the nodes race.
 */
class ClusterInputLimitsTests {

    static final String EXACT = "{\"big\":1e999,\"dec\":3.141592653589793238462643383279,\"int\":18446744073709551617}";
    static final int MAX_UIDS = 4;

    static RedisServer redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisServer.start();
        String[] caps = {"pushgate.session.max-groups-per-uid=2", "pushgate.session.max-membership-uids=" + MAX_UIDS};
        a = ClusterNode.start("a", redis, caps);
        b = ClusterNode.start("b", redis, caps);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void dataPublishedOnOneNodeReachesAClientOnTheOtherExactly() {
        String uid = TestSecrets.uniqueUid("exact");
        try (WsTestClient onB = ClusterTests.ws(b, TestSecrets.token(uid))) {
            ClusterTests.awaitSessions(a, uid, 1);
            a.api().publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + EXACT + "}");
            assertThat(onB.nextText("\"type\":\"message\"")).contains("\"data\":" + EXACT + ",");
        }
    }

    @Test
    void aUidInTheMaximumNumberOfGroupsGetsA409OnEitherNode() {
        String uid = TestSecrets.uniqueUid("groups");
        try {
            a.api().put("/api/v1/groups/g1/uids/" + uid, 200);
            awaitMemberships(b, uid, Set.of("g1"));
            b.api().put("/api/v1/groups/g2/uids/" + uid, 200);
            awaitMemberships(a, uid, Set.of("g1", "g2"));
            JsonNode problem = a.api().put("/api/v1/groups/g3/uids/" + uid, 409);
            assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:too-many-uid-groups");
            assertThat(b.api().put("/api/v1/groups/g3/uids/" + uid, 409).path("type").asString())
                    .isEqualTo("urn:pushgate:problem:too-many-uid-groups");
            assertThat(redis.command("HGET", "{pushgate}:uidgroups", uid)).doesNotContain("g3");
        } finally {
            for (String g : List.of("g1", "g2", "g3")) {
                a.api().delete("/api/v1/groups/" + g + "/uids/" + uid, 200);
            }
            awaitMemberships(b, uid, Set.of());
        }
    }

    /**
     * Both nodes add memberships for new uids at once: exactly the cap is admitted, whichever node
     * answered, and the Redis hash never holds more uids than that.
     */
    @Test
    void membershipsForNewUidsRacingOnTwoNodesStopAtTheClusterCap() {
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            uids.add(TestSecrets.uniqueUid("race"));
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < uids.size(); i++) {
                ClusterNode node = i % 2 == 0 ? a : b;
                String uid = uids.get(i);
                answers.add(CompletableFuture.supplyAsync(() -> node.api().client().put().uri("/api/v1/groups/room/uids/" + uid)
                        .exchange().returnResult(Void.class).getStatus().value(), pool));
            }
            List<Integer> statuses = answers.stream().map(CompletableFuture::join).toList();
            assertThat(statuses).containsOnly(200, 429);
            assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(MAX_UIDS);
            assertThat(redis.command("HLEN", "{pushgate}:uidgroups")).isEqualTo(Integer.toString(MAX_UIDS));
        } finally {
            pool.shutdownNow();
            for (String uid : uids) {
                a.api().delete("/api/v1/groups/room/uids/" + uid, 200);
            }
            for (String uid : uids) {
                awaitMemberships(b, uid, Set.of());
            }
        }
    }

    /**
     * Waits until the node has applied the cluster log up to the uid's memberships being {@code groups}:
     * each node checks the caps against its own copy first, so a test that goes on before a change
     * reached it would see that node answer from a stale copy.
     */
    static void awaitMemberships(ClusterNode node, String uid, Set<String> groups) {
        await().atMost(ClusterTests.PROPAGATION).until(() -> node.bean(PushNode.class).groupsOfUid(uid).equals(groups));
    }
}
