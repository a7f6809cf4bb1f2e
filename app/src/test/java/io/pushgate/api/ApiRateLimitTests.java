package io.pushgate.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.RawHttp.Response;
import io.pushgate.support.SchemaValidator;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.RawHttp.post;
import static io.pushgate.support.RawHttp.postChunked;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code pushgate.api.rate} on a real server: a key over its rate is answered 429 {@code rate-limited}
 * with {@code Retry-After}, on the WebFlux routes and on the direct publish route alike, while other keys
 * go on; its bucket refills at the rate. One key per test, since the buckets live as long as the server.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.api.keys=" + TestSecrets.API_KEY + "," + ApiRateLimitTests.WEBFLUX_KEY + "," + ApiRateLimitTests.DIRECT_KEY
                + "," + ApiRateLimitTests.STREAM_KEY,
        "pushgate.api.rate=" + ApiRateLimitTests.RATE, "pushgate.api.rate-burst=" + ApiRateLimitTests.BURST})
class ApiRateLimitTests {

    static final String WEBFLUX_KEY = "rate-limited-key-webflux-01";
    static final String DIRECT_KEY = "rate-limited-key-direct-001";
    static final String STREAM_KEY = "rate-limited-key-stream-001";
    /** Low enough that a test's requests outrun it, high enough that a refill comes within a second. */
    static final int RATE = 1;
    /** Requests after the burst within which one must be refused: a slow first request may let a token in. */
    static final int OUTRUN = 20;
    static final int BURST = 3;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SchemaValidator OPENAPI = new SchemaValidator(
            SchemaValidator.loadYaml(Path.of("..", "api-spec", "openapi.yaml")));

    @Autowired
    Api api;

    @Autowired
    DirectPublishing route;

    @LocalServerPort
    int port;

    @Test
    void aKeyOverItsRateIsAnswered429WithRetryAfterWhileAnotherKeyGoesOn() {
        String path = "/api/v1/uids/" + TestSecrets.uniqueUid("limited");
        for (int i = 0; i < BURST; i++) {
            assertThat(get(WEBFLUX_KEY, path).getStatus().value()).as("request %d of the burst", i + 1).isEqualTo(200);
        }

        EntityExchangeResult<byte[]> refused = get(WEBFLUX_KEY, path);
        for (int i = 0; i < OUTRUN && refused.getStatus().value() == 200; i++) {
            refused = get(WEBFLUX_KEY, path);
        }
        assertThat(refused.getStatus().value()).isEqualTo(429);
        assertRateLimited(refused.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER),
                refused.getResponseHeaders().getContentType().toString(), new String(refused.getResponseBody()), path);

        assertThat(get(TestSecrets.API_KEY, path).getStatus().value()).as("another key").isEqualTo(200);

        // a token comes back every 1/RATE s; refused requests take none, so asking again does not delay it
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(WEBFLUX_KEY, path).getStatus().value() == 200);
    }

    @Test
    void theDirectPublishRouteIsLimitedToo() {
        String body = "{\"to\":{\"uids\":[\"" + TestSecrets.uniqueUid("limited-direct") + "\"]},\"data\":1}";
        try (RawHttp http = RawHttp.connect(port)) {
            long before = route.served();
            for (int i = 0; i < BURST; i++) {
                assertThat(http.exchange(direct(post(DirectPublishing.MESSAGES, body))).status()).isEqualTo(200);
            }
            assertThat(route.served()).as("the burst was answered by the direct route").isEqualTo(before + BURST);

            int answered = BURST;
            Response refused = http.exchange(direct(post(DirectPublishing.MESSAGES, body)));
            for (int i = 0; i < OUTRUN && refused.status() == 200; i++) {
                answered++;
                refused = http.exchange(direct(post(DirectPublishing.MESSAGES, body)));
            }
            assertThat(refused.status()).isEqualTo(429);
            assertThat(route.served()).as("the refused publish was not published").isEqualTo(before + answered);
            assertRateLimited(refused.headers().get("retry-after"), refused.headers().get("content-type"), refused.body(),
                    DirectPublishing.MESSAGES);
            assertThat(refused.headers()).as("the headers every API answer has").containsKeys("cache-control", "x-content-type-options");

            Response viaWebFlux = http.exchange(direct(postChunked(DirectPublishing.MESSAGES, body)));
            assertThat(viaWebFlux.status()).as("the same key through WebFlux").isEqualTo(429);
            assertThat(viaWebFlux.headers()).containsKey("retry-after");

            assertThat(http.exchange(post(DirectPublishing.MESSAGES, body)).status()).as("another key").isEqualTo(200);

            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> http.exchange(direct(post(DirectPublishing.MESSAGES, body))).status() == 200);
        }
    }

    private static String direct(String request) {
        return request.replace(TestSecrets.API_KEY, DIRECT_KEY);
    }

    @Test
    void everyFrameOfAPublishStreamCountsAndTheUpgradeToo() {
        int ok = 0;
        JsonNode refused = null;
        try (WsTestClient stream = WsTestClient.connect(java.net.URI.create("ws://localhost:" + port + "/api/v1/stream"),
                Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + STREAM_KEY), java.util.List.of())) {
            for (int i = 0; i < OUTRUN; i++) {
                stream.send("{\"ref\":" + i + ",\"to\":{\"all\":true},\"data\":" + i + "}");
            }
            for (int i = 0; i < OUTRUN; i++) {
                JsonNode answer = stream.next();
                assertThat(answer.path("ref").asInt()).isEqualTo(i);
                if (answer.path("ok").asBoolean()) {
                    ok++;
                } else {
                    refused = answer;
                    assertThat(answer.path("error").path("type").asString()).isEqualTo("urn:pushgate:problem:rate-limited");
                    assertThat(answer.path("error").path("status").asInt()).isEqualTo(429);
                    assertThat(answer.path("error").path("retryAfter").asLong()).isPositive();
                }
            }
            assertThat(stream.isClosed()).isFalse();
        }
        assertThat(refused).as("some frame was over the rate").isNotNull();
        assertThat(ok).as("the burst, less the upgrade's token, and what refilled meanwhile").isLessThan(OUTRUN / 2);

        int status = 101;
        for (int i = 0; i < OUTRUN && status != 429; i++) {
            try (WsTestClient opened = WsTestClient.connect(java.net.URI.create("ws://localhost:" + port + "/api/v1/stream"),
                    Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + STREAM_KEY), java.util.List.of())) {
                status = 101;
            } catch (WsTestClient.HandshakeRefused e) {
                status = e.status;
            }
        }
        assertThat(status).as("an upgrade over the rate").isEqualTo(429);
    }

    /** ApiSpecDriftTests runs without a rate, so the 429 of every operation is checked against the spec here. */
    @Test
    void everyApiOperationDocuments429WithRetryAfter() {
        int operations = 0;
        for (Map.Entry<String, JsonNode> path : OPENAPI.document().path("paths").properties()) {
            if (!path.getKey().startsWith("/api/")) {
                continue;
            }
            for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
                JsonNode tooMany = OPENAPI.deref(operation.getValue().path("responses").path("429"));
                assertThat(tooMany.isObject()).as("%s %s documents 429", operation.getKey(), path.getKey()).isTrue();
                JsonNode retryAfter = OPENAPI.deref(tooMany.path("headers").path("Retry-After"));
                assertThat(OPENAPI.validate(OPENAPI.deref(retryAfter).path("schema"), JSON.valueToTree("1"))).isEmpty();
                assertThat(OPENAPI.validate(OPENAPI.deref(retryAfter).path("schema"), JSON.valueToTree("0"))).isNotEmpty();
                operations++;
            }
        }
        assertThat(operations).isEqualTo(17);
    }

    private EntityExchangeResult<byte[]> get(String key, String path) {
        return api.client().get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .exchange().expectBody().returnResult();
    }

    private static void assertRateLimited(String retryAfter, String contentType, String body, String path) {
        assertThat(retryAfter).as("Retry-After").isNotNull().matches("[1-9][0-9]*");
        assertThat(Long.parseLong(retryAfter)).isLessThanOrEqualTo(1); // a token comes every 1/RATE s
        assertThat(contentType).startsWith("application/problem+json");
        JsonNode problem = JSON.readTree(body);
        assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:rate-limited");
        assertThat(problem.path("status").asInt()).isEqualTo(429);
        assertThat(problem.path("instance").asString()).isEqualTo(path);
        assertThat(OPENAPI.validate("#/components/schemas/Problem", problem)).isEmpty();
    }
}
