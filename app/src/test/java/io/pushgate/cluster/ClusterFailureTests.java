package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import tools.jackson.databind.JsonNode;

/**
 * A node that dies and a Redis that goes away: presence heals within the stated bound, publishes
 * say the cluster is degraded instead of losing messages silently, and delivery comes back by itself.
 * ClusterNode runs the nodes with a 500 ms heartbeat and a 1.5 s node timeout.
 */
class ClusterFailureTests {

    /** node-timeout + heartbeat, the documented bound, plus room for a loaded CI machine. */
    static final Duration DEATH_BOUND = Duration.ofMillis(1500 + 500);
    static final Duration SLACK = Duration.ofSeconds(3);

    RedisServer redis;
    ClusterNode a;
    ClusterNode b;

    @BeforeEach
    void startCluster() {
        redis = RedisServer.start();
        a = ClusterNode.start("fa", redis);
        b = ClusterNode.start("fb", redis);
    }

    @AfterEach
    void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void aKilledNodesSessionsLeavePresenceWithinTheNodeTimeout() {
        String uid = TestSecrets.uniqueUid("dies");
        WsTestClient onB = ws(b, TestSecrets.token(uid));
        awaitSessions(a, uid, 1);

        long killedAt = System.nanoTime();
        b.kill(); // no goodbye reaches Redis, as with kill -9
        awaitSessions(a, uid, 0);
        Duration took = Duration.ofNanos(System.nanoTime() - killedAt);

        assertThat(took).isLessThan(DEATH_BOUND.plus(SLACK));
        await().atMost(ClusterTests.PROPAGATION).untilAsserted(() ->
                assertThat(a.api().get("/api/v1/stats").path("nodes").findValuesAsString("node")).containsExactly("fa"));
        onB.close();
    }

    @Test
    void aCleanlyStoppedNodeLeavesPresenceAtOnce() {
        String uid = TestSecrets.uniqueUid("stops");
        try (SseTestClient onB = SseTestClient.open(b.port(), "token=" + TestSecrets.token(uid))) {
            onB.nextEvent("welcome");
            awaitSessions(a, uid, 1);
            b.close();
            awaitSessions(a, uid, 0);
        }
    }

    @Test
    void whileRedisIsDownPublishesAnswer503AndWhenItReturnsDeliveryAndPresenceResume() {
        String uid = TestSecrets.uniqueUid("outage");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid)); WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 2);
            String before = b.api().publish(toUid(uid, 1)).path("id").asString();
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(before);
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(before);

            redis.stop();
            await().atMost(ClusterTests.PROPAGATION).untilAsserted(() -> {
                JsonNode problem = b.api().post("/api/v1/messages", toUid(uid, 2), 503);
                assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");
            });
            assertThat(onA.isClosed()).as("clients stay connected while Redis is away").isFalse();
            assertThat(b.api().get("/api/v1/uids/" + uid).path("sessions").asInt())
                    .as("presence answers from what the node knew").isEqualTo(2);

            redis.restart(); // empty: its data is gone, with any entry a node had not read yet
            for (ClusterNode node : new ClusterNode[] {a, b}) { // each node finds Redis again on its own
                await().atMost(ClusterTests.PROPAGATION).until(() -> acceptsPublish(node, toUid(uid, 3)));
            }
            for (WsTestClient client : new WsTestClient[] {onA, onB}) {
                assertThat(client.nextOfType("reset").path("cursor").asString())
                        .as("what Redis lost may not have been read by every node: each client is told to reload")
                        .isNotEmpty();
            }
            JsonNode after = a.api().publish(toUid(uid, 4));
            String afterId = after.path("id").asString();
            for (WsTestClient client : new WsTestClient[] {onA, onB}) { // skips those that got through above
                assertThat(client.next(f -> afterId.equals(f.path("id").asString())).path("type").asString())
                        .isEqualTo("message");
            }
            assertThat(afterId.substring(0, afterId.indexOf('-')))
                    .as("a new epoch: cursors from before the loss are answered with a reset, never reused")
                    .isNotEqualTo(before.substring(0, before.indexOf('-')));

            awaitSessions(a, uid, 2); // each node restated its sessions in the new Redis
            assertThat(redis.command("HLEN", "{pushgate}:s:fa")).isEqualTo("1");
        }
    }

    @Test
    void aNodeKilledWhilePublishingDeliversEveryPublishItAcceptedOnceAndNoneTwice() throws Exception {
        String uid = TestSecrets.uniqueUid("killed");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 1);
            List<Integer> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch started = new CountDownLatch(5);
            Thread publisher = new Thread(() -> {
                for (int i = 1; i <= 500; i++) {
                    int status;
                    try {
                        status = b.api().client().post().uri("/api/v1/messages").contentType(MediaType.APPLICATION_JSON)
                                .bodyValue(toUid(uid, i)).exchange().expectBody().returnResult().getStatus().value();
                    } catch (Throwable cut) { // the node died under the request: its outcome is unknown
                        return;
                    }
                    if (status == 200) {
                        accepted.add(i);
                    } else if (status >= 500) {
                        return;
                    }
                    started.countDown();
                }
            }, "publisher-to-a-dying-node");
            publisher.start();
            assertThat(started.await(SLACK.toSeconds() * 10, TimeUnit.SECONDS)).isTrue();
            b.kill();
            publisher.join(Duration.ofSeconds(60).toMillis());
            assertThat(publisher.isAlive()).isFalse();

            String marker = a.api().publish(toUid(uid, 0)).path("id").asString();
            List<Integer> received = new ArrayList<>();
            for (JsonNode m = onA.nextMessage(); !marker.equals(m.path("id").asString()); m = onA.nextMessage()) {
                received.add(m.path("data").asInt());
            }
            assertThat(received).as("none twice").doesNotHaveDuplicates();
            assertThat(received).as("every publish the dying node accepted").containsAll(accepted);
        }
    }

    /** Publishes once; reads the body whatever the status, so nothing leaks. */
    private static boolean acceptsPublish(ClusterNode node, String body) {
        return node.api().client().post().uri("/api/v1/messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectBody().returnResult().getStatus().value() == 200;
    }

    @Test
    void aNodeStartedWhileRedisIsDownServesItsOwnClientsAndJoinsWhenRedisAnswers() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ClusterNode.PARTITIONS == 1, "one log: see the next test");
        redis.stop();
        try (ClusterNode late = ClusterNode.start("fc", redis, "pushgate.redis.timeout=300ms")) {
            String uid = TestSecrets.uniqueUid("late");
            try (WsTestClient onLate = ws(late, TestSecrets.token(uid))) {
                JsonNode problem = late.api().post("/api/v1/messages", toUid(uid, 1), 503);
                assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");

                redis.restart();
                awaitSessions(a, uid, 1); // its session was stated once it reached Redis
                String id = a.api().publish(toUid(uid, 2)).path("id").asString();
                assertThat(onLate.nextMessage().path("id").asString()).isEqualTo(id);
            }
        }
    }

    /**
     * On a partitioned log a node subscribes a session's channels in Redis before it welcomes the session, so
     * while Redis cannot be reached a new session is told to try again later (1013) instead of being welcomed
     * to a stream nothing reaches; once Redis answers, the same client connects and gets its pushes.
     */
    @Test
    void onAPartitionedLogANodeStartedWhileRedisIsDownAsksNewSessionsToTryAgainUntilRedisAnswers() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ClusterNode.PARTITIONS > 1, "a partitioned log");
        redis.stop();
        try (ClusterNode late = ClusterNode.start("fd", redis, "pushgate.redis.timeout=300ms")) {
            String uid = TestSecrets.uniqueUid("late");
            try (WsTestClient refused = WsTestClient.connect(late.api().ws("token=" + TestSecrets.token(uid)))) {
                assertThat(refused.awaitClose().code()).as("try again later").isEqualTo(1013);
            }
            JsonNode problem = late.api().post("/api/v1/messages", toUid(uid, 1), 503);
            assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");

            redis.restart();
            await().atMost(ClusterTests.PROPAGATION).until(() -> acceptsPublish(late, toUid(TestSecrets.uniqueUid("probe"), 0)));
            try (WsTestClient onLate = ws(late, TestSecrets.token(uid))) {
                awaitSessions(a, uid, 1);
                String id = a.api().publish(toUid(uid, 2)).path("id").asString();
                assertThat(onLate.nextMessage().path("id").asString()).isEqualTo(id);
            }
        }
    }
}
