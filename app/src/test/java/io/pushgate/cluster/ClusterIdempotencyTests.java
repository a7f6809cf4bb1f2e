package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Idempotent publish across the cluster: the key is checked and set by the append script, atomically
 * with the append, so a repeat through any node is delivered once and answered with the first answer.
 * Node {@code ib} sends every publish through WebFlux, {@code ia} answers on the direct route.
 */
class ClusterIdempotencyTests {

    static final JsonMapper JSON = JsonMapper.builder().build();

    static RedisServer redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisServer.start();
        a = ClusterNode.start("ia", redis);
        b = ClusterNode.start("ib", redis, "pushgate.api.direct-publish=false");
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void aKeyRepeatedThroughAnotherNodeIsDeliveredOnceAndAnsweredWithTheFirstAnswer() {
        String uid = TestSecrets.uniqueUid("cluster-idem");
        String key = "c-" + uid;
        try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            JsonNode first = publish(a, toUid(uid, 1), key);
            assertThat(first.has("duplicate")).isFalse();
            JsonNode viaB = publish(b, toUid(uid, 1), key);
            JsonNode viaA = publish(a, toUid(uid, 1), key);
            for (JsonNode dup : new JsonNode[] {viaA, viaB}) {
                assertThat(dup.path("duplicate").asBoolean()).isTrue();
                assertThat(dup.path("id").asString()).isEqualTo(first.path("id").asString());
                assertThat(dup.path("sessions").asInt()).isEqualTo(1);
                assertThat(dup.path("online").get(0).asString()).isEqualTo(uid);
            }
            assertThat(viaA).as("the same answer from both routes and nodes").isEqualTo(viaB);

            String batch = "[" + withKey(toUid(uid, 2), "b-" + uid) + "," + withKey(toUid(uid, 3), "b-" + uid) + "]";
            JsonNode answers = b.api().post("/api/v1/messages:batch", batch, 200);
            assertThat(answers.get(1).path("duplicate").asBoolean()).isTrue();
            assertThat(answers.get(1).path("id").asString()).isEqualTo(answers.get(0).path("id").asString());

            String marker = a.api().publish(toUid(uid, 9)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(first.path("id").asString());
            assertThat(onB.nextMessage().path("data").asInt()).isEqualTo(2);
            assertThat(onB.nextMessage().path("id").asString()).as("each key delivered once").isEqualTo(marker);
        }
    }

    private static JsonNode publish(ClusterNode node, String body, String key) {
        byte[] answer = node.api().client().post().uri("/api/v1/messages").contentType(MediaType.APPLICATION_JSON)
                .header("Idempotency-Key", key).bodyValue(body).exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody();
        return JSON.readTree(answer);
    }

    private static String withKey(String body, String key) {
        return body.substring(0, body.length() - 1) + ",\"idempotencyKey\":\"" + key + "\"}";
    }
}
