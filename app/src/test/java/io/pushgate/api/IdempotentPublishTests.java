package io.pushgate.api;

import static io.pushgate.support.RawHttp.post;
import static io.pushgate.support.RawHttp.postChunked;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.RawHttp.Response;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A node alone: a publish repeated with the same idempotency key (header or member, per batch item) is
 * delivered once and answered with the first answer plus {@code "duplicate":true}, the same on the direct
 * route and through WebFlux; the node remembers at most {@code idempotency-max-keys} keys, oldest first out.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.api.idempotency-max-keys=3")
class IdempotentPublishTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MESSAGES = "/api/v1/messages";
    private static final String BATCH = "/api/v1/messages:batch";

    @LocalServerPort
    int port;

    @Test
    void aRepeatedKeyIsDeliveredOnceAndAnsweredWithTheFirstAnswerOnBothRoutes() {
        String uid = TestSecrets.uniqueUid("idem");
        String key = "Idempotency-Key: k-" + uid;
        try (WsTestClient client = ws(uid); RawHttp http = RawHttp.connect(port)) {
            Response first = http.exchange(post(MESSAGES, toUid(uid, 1), key));
            Response again = http.exchange(post(MESSAGES, toUid(uid, 1), key));
            Response viaWebFlux = http.exchange(postChunked(MESSAGES, toUid(uid, 1), key));
            Response asMember = http.exchange(post(MESSAGES, toUidWithKey(uid, 1, "k-" + uid)));
            assertThat(first.status()).isEqualTo(200);
            JsonNode answer = JSON.readTree(first.body());
            assertThat(answer.has("duplicate")).isFalse();
            for (Response repeat : List.of(again, viaWebFlux, asMember)) {
                assertThat(repeat.status()).isEqualTo(200);
                JsonNode dup = JSON.readTree(repeat.body());
                assertThat(dup.path("duplicate").asBoolean()).isTrue();
                assertThat(dup.path("id").asString()).isEqualTo(answer.path("id").asString());
                assertThat(dup.path("sessions").asInt()).isEqualTo(1);
            }
            assertThat(again.body()).as("the same answer on both routes").isEqualTo(viaWebFlux.body());

            String marker = JSON.readTree(http.exchange(post(MESSAGES, toUid(uid, 9))).body()).path("id").asString();
            assertThat(client.nextMessage().path("id").asString()).isEqualTo(answer.path("id").asString());
            assertThat(client.nextMessage().path("id").asString()).as("delivered once").isEqualTo(marker);

            Response differing = http.exchange(post(MESSAGES, toUidWithKey(uid, 1, "other"), key));
            assertThat(differing.status()).isEqualTo(400);
        }
    }

    @Test
    void batchItemsCarryTheirOwnKeys() {
        String uid = TestSecrets.uniqueUid("idem-batch");
        try (WsTestClient client = ws(uid); RawHttp http = RawHttp.connect(port)) {
            String batch = "[" + toUidWithKey(uid, 1, "b-" + uid) + "," + toUidWithKey(uid, 2, "b-" + uid) + ","
                    + toUid(uid, 3) + "]";
            Response direct = http.exchange(post(BATCH, batch));
            assertThat(direct.status()).isEqualTo(200);
            JsonNode answers = JSON.readTree(direct.body());
            assertThat(answers.get(0).has("duplicate")).isFalse();
            assertThat(answers.get(1).path("duplicate").asBoolean()).isTrue();
            assertThat(answers.get(1).path("id").asString()).isEqualTo(answers.get(0).path("id").asString());
            assertThat(answers.get(2).has("duplicate")).isFalse();
            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(1);
            assertThat(client.nextMessage().path("data").asInt()).as("the repeated item is not delivered").isEqualTo(3);

            Response viaWebFlux = http.exchange(postChunked(BATCH, batch));
            JsonNode again = JSON.readTree(viaWebFlux.body());
            assertThat(again.get(0).path("duplicate").asBoolean()).isTrue();
            assertThat(again.get(0).path("id").asString()).isEqualTo(answers.get(0).path("id").asString());
            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(3);

            assertThat(http.exchange(post(BATCH, batch, "Idempotency-Key: whole")).status()).isEqualTo(400);
        }
    }

    @Test
    void pastTheMaxKeysTheOldestKeyIsForgottenFirst() {
        String uid = TestSecrets.uniqueUid("idem-max");
        try (RawHttp http = RawHttp.connect(port)) {
            for (int i = 1; i <= 4; i++) {
                assertThat(publish(http, uid, i).has("duplicate")).isFalse();
            }
            assertThat(publish(http, uid, 4).path("duplicate").asBoolean()).as("the newest key is kept").isTrue();
            assertThat(publish(http, uid, 1).has("duplicate")).as("the oldest of 4 keys went (max 3)").isFalse();
        }
    }

    private static JsonNode publish(RawHttp http, String uid, int n) {
        Response answer = http.exchange(post(MESSAGES, toUid(uid, n), "Idempotency-Key: " + uid + "-" + n));
        assertThat(answer.status()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private WsTestClient ws(String uid) {
        WsTestClient client = WsTestClient.connect(java.net.URI.create("ws://localhost:" + port + "/ws?token="
                + TestSecrets.token(uid)));
        client.nextOfType("welcome");
        return client;
    }

    private static String toUid(String uid, int n) {
        return "{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + n + "}";
    }

    private static String toUidWithKey(String uid, int n, String key) {
        return "{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + n + ",\"idempotencyKey\":\"" + key + "\"}";
    }
}
