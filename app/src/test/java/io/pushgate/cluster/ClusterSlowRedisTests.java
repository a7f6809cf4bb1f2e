package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterGapTests.accepts;
import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Redis that answers slower than the heartbeat ({@code CLIENT PAUSE}): the queue of publishes waiting
 * for it is bounded, and what it refuses is never delivered; heartbeats and the log reader outlive the
 * stall and go on by themselves.
 */
class ClusterSlowRedisTests {

    static final Duration HEAL = Duration.ofSeconds(30);
    static final JsonMapper JSON = JsonMapper.builder().build();

    RedisServer redis;
    ClusterNode a;
    ClusterNode b;

    @AfterEach
    void stop() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void pastTheMaxPendingPublishesAPublishIsRefusedAtOnceAndNeverDelivered() throws Exception {
        redis = RedisServer.start();
        // a Redis timeout longer than the pause: only the bound can refuse a publish here
        a = ClusterNode.start("sa", redis, "pushgate.redis.max-pending-publishes=2", "pushgate.redis.timeout=10s",
                "pushgate.redis.heartbeat=5s", "pushgate.redis.node-timeout=15s");
        String uid = TestSecrets.uniqueUid("bounded");
        try (WsTestClient on = ws(a, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            HttpClient http = HttpClient.newHttpClient();
            redis.command("CLIENT", "PAUSE", "3000");
            Map<Integer, CompletableFuture<HttpResponse<String>>> sent = new HashMap<>();
            for (int i = 1; i <= 20; i++) {
                sent.put(i, http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + a.port() + "/api/v1/messages"))
                        .header("Authorization", "Bearer " + TestSecrets.API_KEY)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(toUid(uid, i))).build(), HttpResponse.BodyHandlers.ofString()));
            }
            List<Integer> accepted = new ArrayList<>();
            List<Integer> refused = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                HttpResponse<String> answer = sent.get(i).get(HEAL.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                if (answer.statusCode() == 200) {
                    accepted.add(i);
                } else {
                    assertThat(answer.statusCode()).isEqualTo(503);
                    JsonNode problem = JSON.readTree(answer.body());
                    assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");
                    assertThat(problem.has("outcome")).as("refused before it was queued: surely not done").isFalse();
                    refused.add(i);
                }
            }
            assertThat(refused).as("no more than 2 publishes wait for the paused Redis").isNotEmpty();
            assertThat(accepted).isNotEmpty();

            String marker = a.api().publish(toUid(uid, 0)).path("id").asString();
            List<Integer> received = new ArrayList<>();
            while (true) {
                JsonNode message = on.nextMessage();
                if (marker.equals(message.path("id").asString())) {
                    break;
                }
                received.add(message.path("data").asInt());
            }
            assertThat(received).as("every accepted publish once; none of the refused ones")
                    .containsExactlyInAnyOrderElementsOf(accepted);
        }
    }

    @Test
    void heartbeatsAndTheLogReaderGoOnAfterARedisSlowerThanTheHeartbeat() {
        redis = RedisServer.start();
        a = ClusterNode.start("sa", redis); // heartbeat 500 ms, Redis timeout 2 s: both shorter than the pause
        b = ClusterNode.start("sb", redis);
        String uid = TestSecrets.uniqueUid("paused");
        try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);

            redis.command("CLIENT", "PAUSE", "3000");
            for (ClusterNode node : new ClusterNode[] {a, b}) {
                await().atMost(HEAL).until(() -> accepts(node, toUid(TestSecrets.uniqueUid("probe"), 0)));
                double lease = lease(node);
                await().atMost(HEAL).until(() -> lease(node) >= lease + 1000); // renewed at least twice more
            }
            awaitSessions(a, uid, 1);
            String id = a.api().publish(toUid(uid, 1)).path("id").asString();
            assertThat(onB.next(f -> id.equals(f.path("id").asString())).path("type").asString()).isEqualTo("message");
        }
    }

    @Test
    void aPublishSentToARedisThatDoesNotAnswerInTimeSaysItsOutcomeIsUnknownAndItsRetryIsDeliveredOnce() {
        redis = RedisServer.start();
        // the publish below is sent within 2 s of the pause: before any other call can time out and mark
        // Redis down (which would refuse it unsent, with a plain 503)
        a = ClusterNode.start("sa", redis, "pushgate.redis.timeout=2s", "pushgate.redis.heartbeat=10s",
                "pushgate.redis.node-timeout=30s");
        String uid = TestSecrets.uniqueUid("unknown");
        try (WsTestClient on = ws(a, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            // Redis knows the append script before the pause: a script it does not know yet is sent again
            // (EVAL after EVALSHA's NOSCRIPT), which the timeout would cancel unsent
            String warm = a.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(on.nextMessage().path("id").asString()).isEqualTo(warm);
            redis.command("CLIENT", "PAUSE", "5000");
            String key = "retry-" + uid;
            JsonNode problem = publishWithKey(toUid(uid, 1), key, 503);
            assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");
            assertThat(problem.path("outcome").asString()).as("sent to Redis, not answered: it may be delivered")
                    .isEqualTo("unknown");

            await().atMost(HEAL).until(() -> accepts(a, toUid(TestSecrets.uniqueUid("probe"), 0)));
            JsonNode retried = publishWithKey(toUid(uid, 1), key, 200); // the backend retries with the same key
            String marker = a.api().publish(toUid(uid, 0)).path("id").asString();
            List<Integer> received = new ArrayList<>();
            for (JsonNode m = on.nextMessage(); !marker.equals(m.path("id").asString()); m = on.nextMessage()) {
                received.add(m.path("data").asInt());
            }
            assertThat(received).as("the publish and its retry: delivered exactly once").containsExactly(1);
            assertThat(retried.path("duplicate").asBoolean()).as("the first try went through after all")
                    .isEqualTo(true);
        }
    }

    private JsonNode publishWithKey(String body, String key, int status) {
        byte[] answer = a.api().client().post().uri("/api/v1/messages")
                .contentType(org.springframework.http.MediaType.APPLICATION_JSON).header("Idempotency-Key", key)
                .bodyValue(body).exchange().expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody();
        return JSON.readTree(answer);
    }

    /** When the node's lease in Redis runs out (epoch ms): each heartbeat moves it on. */
    private double lease(ClusterNode node) {
        String score = redis.command("ZSCORE", "{pushgate}:nodes", node.nodeId());
        return score == null ? 0 : Double.parseDouble(score);
    }
}
