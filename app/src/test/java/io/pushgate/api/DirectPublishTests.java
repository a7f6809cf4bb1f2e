package io.pushgate.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.RawHttp.Response;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.RawHttp.get;
import static io.pushgate.support.RawHttp.post;
import static io.pushgate.support.RawHttp.postChunked;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The publish routes answered from the Netty pipeline ({@link DirectPublishing}) against the same
 * requests sent so that they go through WebFlux (a chunked body): a backend must not be able to tell
 * which one answered, except by speed.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.api.max-body-size=2KB", "pushgate.api.max-batch=3"})
class DirectPublishTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MESSAGES = "/api/v1/messages";
    private static final String BATCH = "/api/v1/messages:batch";

    @LocalServerPort
    int port;

    @Autowired
    DirectPublishing route;

    @Test
    void aPublishAnsweredDirectlyReachesTheUidAndAnswersLikeWebFlux() {
        String uid = TestSecrets.uniqueUid("direct");
        try (WsTestClient client = ws(uid); RawHttp http = RawHttp.connect(port)) {
            long before = route.served();
            Response direct = http.exchange(post(MESSAGES, toUid(uid, 1)));
            assertThat(route.served()).isEqualTo(before + 1);
            Response viaWebFlux = http.exchange(postChunked(MESSAGES, toUid(uid, 2)));
            assertThat(route.served()).isEqualTo(before + 1);

            assertThat(direct.status()).isEqualTo(200);
            assertSameAnswer(direct, viaWebFlux);
            JsonNode answer = JSON.readTree(direct.body());
            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            assertThat(answer.path("online").get(0).asString()).isEqualTo(uid);
            assertThat(client.nextMessage().path("id").asString()).isEqualTo(answer.path("id").asString());
            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(2);
        }
    }

    @Test
    void aBatchAnsweredDirectlyArrivesInOrderAndAnswersLikeWebFlux() {
        String uid = TestSecrets.uniqueUid("direct-batch");
        try (WsTestClient client = ws(uid); RawHttp http = RawHttp.connect(port)) {
            String batch = "[" + toUid(uid, 1) + "," + toUid(uid, 2) + "]";
            Response direct = http.exchange(post(BATCH, batch));
            Response viaWebFlux = http.exchange(postChunked(BATCH, batch));
            assertSameAnswer(direct, viaWebFlux);
            JsonNode answers = JSON.readTree(direct.body());
            assertThat(answers).hasSize(2);
            for (int i = 1; i <= 4; i++) {
                assertThat(client.nextMessage().path("data").asInt()).isEqualTo(i > 2 ? i - 2 : i);
            }
        }
    }

    @Test
    void badBodiesGetTheSameProblemsAsThroughWebFlux() {
        long before = route.served();
        List<String[]> cases = List.of(
                new String[] {MESSAGES, "{\"to\":{\"uids\":[\"x\"]},\"data\":"},
                new String[] {MESSAGES, "{\"to\":{\"uidz\":[\"x\"]},\"data\":1}"},
                new String[] {MESSAGES, ""},
                new String[] {BATCH, "{\"to\":{\"all\":true}}"},
                new String[] {BATCH, "[{\"to\":{\"all\":true}},{\"to\":{\"all\":true}},{\"to\":{\"all\":true}},{\"to\":{\"all\":true}}]"},
                new String[] {BATCH, "[{\"to\":{\"all\":true},\"data\":1},{\"to\":{}}]"});
        try (RawHttp http = RawHttp.connect(port)) {
            for (String[] c : cases) {
                Response direct = http.exchange(post(c[0], c[1]));
                Response viaWebFlux = http.exchange(postChunked(c[0], c[1]));
                assertThat(direct.status()).as(c[1]).isEqualTo(400);
                assertSameAnswer(direct, viaWebFlux);
            }
        }
        assertThat(route.served()).as("refused before publishing").isEqualTo(before);
    }

    @Test
    void requestsWithoutAValidKeyOrWithATooLargeBodyAreLeftToWebFlux() {
        long before = route.served();
        String body = "{\"to\":{\"all\":true},\"data\":1}";
        try (RawHttp http = RawHttp.connect(port)) {
            Response missing = http.exchange("POST " + MESSAGES + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body);
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.body()).contains("urn:pushgate:problem:missing-api-key");
            Response wrong = http.exchange(post(MESSAGES, body).replace(TestSecrets.API_KEY, "not-the-key-but-long-enough"));
            assertThat(wrong.status()).isEqualTo(401);
            assertThat(wrong.body()).contains("urn:pushgate:problem:invalid-api-key");
            Response tooLarge = http.exchange(post(MESSAGES, "{\"to\":{\"all\":true},\"data\":\"" + "x".repeat(3000) + "\"}"));
            assertThat(tooLarge.status()).isEqualTo(413);
            assertThat(tooLarge.body()).contains("urn:pushgate:problem:body-too-large");
        }
        assertThat(route.served()).isEqualTo(before);
    }

    @Test
    void pipelinedRequestsOfBothKindsAreAnsweredInTheOrderSent() {
        String uid = TestSecrets.uniqueUid("pipelined");
        try (WsTestClient client = ws(uid); RawHttp http = RawHttp.connect(port)) {
            http.send(post(MESSAGES, toUid(uid, 1)), get("/api/v1/uids/" + uid), postChunked(MESSAGES, toUid(uid, 2)),
                    post(MESSAGES, toUid(uid, 3)), post(MESSAGES, "{"), get("/api/v1/nothing-here"), post(MESSAGES, toUid(uid, 4)));
            assertThat(JSON.readTree(http.read().body()).path("sessions").asInt()).isEqualTo(1);
            assertThat(JSON.readTree(http.read().body()).path("uid").asString()).isEqualTo(uid);
            String second = JSON.readTree(http.read().body()).path("id").asString();
            String third = JSON.readTree(http.read().body()).path("id").asString();
            assertThat(http.read().status()).isEqualTo(400);
            assertThat(http.read().status()).isEqualTo(404);
            assertThat(http.read().status()).isEqualTo(200);
            assertThat(second).isNotEmpty().isNotEqualTo(third);
            for (int i = 1; i <= 4; i++) {
                assertThat(client.nextMessage().path("data").asInt()).isEqualTo(i);
            }
        }
    }

    @Test
    void aBodyArrivingInPiecesIsReadWhole() {
        String uid = TestSecrets.uniqueUid("pieces");
        String body = "{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":\"" + "y".repeat(1500) + "\"}";
        String request = post(MESSAGES, body);
        int cut = request.indexOf("\r\n\r\n") + 4;
        try (WsTestClient client = ws(uid); RawHttp http = RawHttp.connect(port)) {
            long before = route.served();
            http.send(request.substring(0, cut)).send(request.substring(cut, cut + 700)).send(request.substring(cut + 700));
            Response answer = http.read();
            assertThat(answer.status()).isEqualTo(200);
            assertThat(route.served()).isEqualTo(before + 1);
            assertThat(client.nextMessage().path("data").asString()).hasSize(1500);
        }
    }

    @Test
    void theConnectionIsClosedAfterTheAnswerWhenTheClientAskedForThat() {
        String body = "{\"to\":{\"all\":true},\"data\":1}";
        try (RawHttp http = RawHttp.connect(port)) {
            Response answer = http.exchange(post(MESSAGES, body, "Connection: close"));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.headers().get("connection")).isEqualToIgnoringCase("close");
            assertThat(http.closedByServer()).isTrue();
        }
        try (RawHttp http = RawHttp.connect(port)) {
            Response answer = http.exchange(post(MESSAGES, body).replaceFirst("HTTP/1.1", "HTTP/1.0"));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(http.closedByServer()).isTrue();
        }
        try (RawHttp http = RawHttp.connect(port)) { // keep-alive asked for on HTTP/1.0: kept
            Response first = http.exchange(post(MESSAGES, body, "Connection: keep-alive").replaceFirst("HTTP/1.1", "HTTP/1.0"));
            assertThat(first.headers().get("connection")).isEqualToIgnoringCase("keep-alive");
            assertThat(http.exchange(post(MESSAGES, body)).status()).isEqualTo(200);
        }
    }

    /** Same status, same body (but the generated message ids), same headers (but their order and case). */
    private static void assertSameAnswer(Response direct, Response viaWebFlux) {
        assertThat(direct.status()).isEqualTo(viaWebFlux.status());
        assertThat(withoutIds(direct.body())).isEqualTo(withoutIds(viaWebFlux.body()));
        assertThat(headersBut(direct.headers())).isEqualTo(headersBut(viaWebFlux.headers()));
    }

    private static String withoutIds(String body) {
        return body.replaceAll("\"id\":\"[^\"]*\"", "\"id\":\"…\"");
    }

    private static Map<String, String> headersBut(Map<String, String> headers) {
        Map<String, String> kept = new java.util.TreeMap<>(headers);
        kept.keySet().removeAll(Set.of("content-length", "transfer-encoding"));
        return kept;
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
}
