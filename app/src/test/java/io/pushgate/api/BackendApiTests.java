package io.pushgate.api;

import java.nio.charset.StandardCharsets;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.api.max-body-size=4KB")
class BackendApiTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void missingAndWrongApiKeysAreRefusedWithProblems() {
        WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build()
                .post().uri("/api/v1/messages")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"to\":{\"all\":true}}")
                .exchange().expectStatus().isUnauthorized()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:missing-api-key");
        api.client().get().uri("/api/v1/stats").header(HttpHeaders.AUTHORIZATION, "Bearer wrong-key-but-long-enough")
                .exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:invalid-api-key");
        // a client token is not an API key
        api.client().get().uri("/api/v1/stats").header(HttpHeaders.AUTHORIZATION, "Bearer " + token("someone"))
                .exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:invalid-api-key");
    }

    @Test
    void malformedPublishesAreRefusedWithTheReason() {
        assertProblem("{bad json", "not valid JSON");
        assertProblem("[]", "must be a JSON object");
        assertProblem("{\"event\":\"x\"}", "'to' is required");
        assertProblem("{\"to\":{}}", "names nobody");
        assertProblem("{\"to\":{\"uids\":\"alice\"}}", "uids must be an array");
        assertProblem("{\"to\":{\"uid\":[\"alice\"]}}", "unknown member 'uid'");
        assertProblem("{\"to\":{\"uids\":[\"has space\"]}}", "invalid uid");
        assertProblem("{\"to\":{\"all\":\"yes\"}}", "to.all must be true or false");
        assertProblem("{\"to\":{\"all\":true},\"ttl\":-1}", "ttl must be");
        assertProblem("{\"to\":{\"all\":true},\"event\":42}", "event must be");
        assertProblem("{\"to\":{\"all\":true},\"colour\":1}", "unknown member 'colour'");
        api.client().post().uri("/api/v1/messages").exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(d -> assertThat(d.toString()).contains("empty"));
    }

    private void assertProblem(String body, String detail) {
        JsonNode problem = api.post("/api/v1/messages", body, 400);
        assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:bad-request");
        assertThat(problem.path("status").asInt()).isEqualTo(400);
        assertThat(problem.path("detail").asString()).contains(detail);
    }

    @Test
    void oversizedBodiesAre413WhetherDeclaredOrStreamed() {
        String big = "{\"to\":{\"all\":true},\"data\":\"" + "x".repeat(5000) + "\"}";
        api.post("/api/v1/messages", big, 413);

        byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
        Flux<DataBuffer> chunks = Flux.range(0, bytes.length / 1000 + 1)
                .map(i -> DefaultDataBufferFactory.sharedInstance.wrap(
                        java.util.Arrays.copyOfRange(bytes, i * 1000, Math.min(bytes.length, (i + 1) * 1000))));
        api.client().post().uri("/api/v1/messages").contentType(MediaType.APPLICATION_JSON)
                .body(BodyInserters.fromDataBuffers(chunks))
                .exchange().expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:body-too-large");
    }

    @Test
    void batchAnswersEachPublishAndPublishesNothingWhenOneItemIsBad() {
        String uid = uniqueUid("batch");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid)))) {
            client.nextOfType("welcome");

            JsonNode refused = api.post("/api/v1/messages:batch", """
                    [{"to":{"uids":["%s"]},"data":"never"},{"to":{}}]""".formatted(uid), 400);
            assertThat(refused.path("detail").asString()).startsWith("[1]: ");

            JsonNode answers = api.post("/api/v1/messages:batch", """
                    [{"to":{"uids":["%s"]},"data":1},{"to":{"uids":["%s","%s-off"]},"data":2}]""".formatted(uid, uid, uid), 200);
            assertThat(answers.size()).isEqualTo(2);
            assertThat(answers.get(0).path("sessions").asInt()).isEqualTo(1);
            assertThat(answers.get(1).path("offline").get(0).asString()).isEqualTo(uid + "-off");

            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(1); // "never" was not sent
            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(2);
            api.post("/api/v1/messages:batch", "{\"to\":{\"all\":true}}", 400);
        }
    }

    @Test
    void unknownRoutesAndMethodsAnswerWithProblems() {
        api.get("/api/v1/nothing-here", 404);
        api.client().get().uri("/api/v1/nothing-here").exchange()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:no-such-route");
        api.client().get().uri("/api/v1/messages").exchange().expectStatus().isEqualTo(405)
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:method-not-allowed");
        api.get("/api/v1/uids?online&limit=0", 400);
        api.get("/api/v1/uids?online=false", 400);
    }

    @Test
    void statsCountPublishesAndDeliveries() {
        String uid = uniqueUid("stats");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid)))) {
            client.nextOfType("welcome");
            JsonNode before = api.get("/api/v1/stats").path("total");
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":1}");
            client.nextMessage();
            JsonNode after = api.get("/api/v1/stats").path("total");
            assertThat(after.path("messagesIn").asLong()).isGreaterThan(before.path("messagesIn").asLong());
            assertThat(after.path("messagesOut").asLong()).isGreaterThan(before.path("messagesOut").asLong());
            assertThat(after.path("sessionsByTransport").path("websocket").asInt()).isPositive();
            assertThat(api.get("/api/v1/stats").path("nodes").get(0).path("node").asString()).isEqualTo("test");
        }
    }
}
