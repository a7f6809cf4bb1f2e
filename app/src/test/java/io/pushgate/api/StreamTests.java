package io.pushgate.api;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.SmartLifecycle;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The publish stream {@code GET /api/v1/stream} over a real WebSocket (the JDK's client) against a real
 * server: it publishes what {@code POST /api/v1/messages} publishes, answers what it answers, one answer
 * per frame in order, and refuses what it refuses.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.api.max-body-size=2KB", "pushgate.admin.keys=" + TestSecrets.ADMIN_KEY})
class StreamTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    Api api;

    @BeforeEach
    void setUp() {
        api = new Api(port);
    }

    private URI streamUri() {
        return URI.create("ws://localhost:" + port + "/api/v1/stream");
    }

    private WsTestClient stream() {
        return WsTestClient.connect(streamUri(), Map.of("Authorization", "Bearer " + TestSecrets.API_KEY), List.of());
    }

    private WsTestClient session(String uid) {
        WsTestClient client = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid)));
        client.nextOfType("welcome");
        return client;
    }

    /** The {@code data} member of a message frame, as the server wrote it. */
    private static String rawData(String frame) {
        int start = frame.indexOf("\"data\":") + 7;
        int end = frame.indexOf(",\"to\":", start);
        return frame.substring(start, end);
    }

    @Test
    void aPublishReachesTheSessionExactlyAsOverHttpAndIsAnsweredWithTheSameFields() {
        String uid = TestSecrets.uniqueUid("stream");
        String data = "{\"n\":1.50,\"big\":1e999,\"digits\":3.141592653589793238462643383279,\"s\":\"\\u00e9\"}";
        String body = "{\"to\":{\"uids\":[\"" + uid + "\",\"" + uid + "-offline\"]},\"event\":\"new_msg\",\"data\":" + data + "}";
        try (WsTestClient session = session(uid); WsTestClient stream = stream()) {
            JsonNode overHttp = api.publish(body);
            String httpFrame = session.nextText("\"type\":\"message\"");

            stream.send("{\"ref\":\"a-1\"," + body.substring(1));
            JsonNode answer = stream.next();
            String streamFrame = session.nextText("\"type\":\"message\"");

            assertThat(answer.path("ref").asString()).isEqualTo("a-1");
            assertThat(answer.path("ok").asBoolean()).isTrue();
            List<String> fields = new ArrayList<>(answer.propertyNames());
            assertThat(fields.subList(0, 2)).containsExactly("ref", "ok");
            assertThat(fields.subList(2, fields.size())).containsExactlyElementsOf(overHttp.propertyNames());
            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            assertThat(answer.path("online").toString()).isEqualTo(overHttp.path("online").toString());
            assertThat(answer.path("offline").toString()).isEqualTo(overHttp.path("offline").toString());

            assertThat(rawData(streamFrame)).isEqualTo(data).isEqualTo(rawData(httpFrame));
            assertThat(JSON.readTree(streamFrame).path("id").asString()).isEqualTo(answer.path("id").asString());
            assertThat(JSON.readTree(streamFrame).path("event").asString()).isEqualTo("new_msg");
        }
    }

    @Test
    void aThousandPipelinedPublishesGetAThousandAnswersInOrder() {
        String uid = TestSecrets.uniqueUid("pipelined");
        try (WsTestClient session = session(uid); WsTestClient stream = stream()) {
            for (int i = 0; i < 1000; i++) {
                String ref = i % 2 == 0 ? Integer.toString(i) : "\"r" + i + "\"";
                stream.send("{\"ref\":" + ref + ",\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + i + "}");
            }
            String previousId = "";
            for (int i = 0; i < 1000; i++) {
                JsonNode answer = stream.next();
                if (i % 2 == 0) {
                    assertThat(answer.path("ref").isNumber()).isTrue();
                    assertThat(answer.path("ref").asInt()).isEqualTo(i);
                } else {
                    assertThat(answer.path("ref").asString()).isEqualTo("r" + i);
                }
                assertThat(answer.path("ok").asBoolean()).as(answer.toString()).isTrue();
                assertThat(answer.path("id").asString()).isNotEqualTo(previousId);
                previousId = answer.path("id").asString();
            }
            for (int i = 0; i < 1000; i++) {
                assertThat(session.nextMessage().path("data").asInt()).isEqualTo(i);
            }
        }
    }

    private static final String UPGRADE = "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    @Test
    void anUpgradeWithoutAValidApiKeyIsRefusedWithTheApisProblem() {
        for (String key : new String[] {null, "not-the-api-key-0000", TestSecrets.ADMIN_KEY}) {
            Map<String, String> headers = key == null ? Map.of() : Map.of("Authorization", "Bearer " + key);
            assertThatThrownBy(() -> WsTestClient.connect(streamUri(), headers, List.of()))
                    .as("key %s", key == null ? "none" : key.substring(0, 4))
                    .isInstanceOfSatisfying(WsTestClient.HandshakeRefused.class, e -> assertThat(e.status).isEqualTo(401));
            try (RawHttp http = RawHttp.connect(port)) {
                RawHttp.Response refused = http.exchange(UPGRADE + (key == null ? "" : "Authorization: Bearer " + key + "\r\n") + "\r\n");
                assertThat(refused.status()).isEqualTo(401);
                assertThat(JSON.readTree(refused.body()).path("type").asString())
                        .isEqualTo(key == null ? "urn:pushgate:problem:missing-api-key" : "urn:pushgate:problem:invalid-api-key");
            }
        }
    }

    @Test
    void theIdempotencyKeyHeaderIsRefusedAtTheUpgradeAndTheMemberWorksPerFrame() {
        try (RawHttp http = RawHttp.connect(port)) {
            RawHttp.Response refused = http.exchange(UPGRADE + "Authorization: Bearer " + TestSecrets.API_KEY
                    + "\r\nIdempotency-Key: k1\r\n\r\n");
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).contains("urn:pushgate:problem:bad-request", "idempotencyKey per publish frame");
        }
        String key = TestSecrets.uniqueUid("idem");
        String frame = "{\"ref\":1,\"to\":{\"all\":true},\"data\":1,\"idempotencyKey\":\"" + key + "\"}";
        try (WsTestClient stream = stream()) {
            JsonNode first = stream.send(frame).next();
            JsonNode second = stream.send(frame).next();
            assertThat(first.has("duplicate")).isFalse();
            assertThat(second.path("duplicate").asBoolean()).isTrue();
            assertThat(second.path("id").asString()).isEqualTo(first.path("id").asString());
        }
    }

    @Test
    void badFramesGetTheirErrorWithTheirRefAndTheStreamGoesOn() {
        String uid = TestSecrets.uniqueUid("bad-frames");
        String good = "{\"ref\":99,\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":1}";
        try (WsTestClient stream = stream()) {
            JsonNode malformed = stream.send("{\"ref\":7,\"to\":{\"all\":true},\"data\":").next();
            assertThat(malformed.path("ok").asBoolean()).isFalse();
            assertThat(malformed.path("ref").asInt()).isEqualTo(7);
            assertThat(malformed.path("error").path("type").asString()).isEqualTo("urn:pushgate:problem:bad-request");
            assertThat(malformed.path("error").path("detail").asString()).startsWith("the request body is not valid JSON");

            JsonNode noTarget = stream.send("{\"ref\":\"t\",\"data\":1}").next();
            assertThat(noTarget.path("ref").asString()).isEqualTo("t");
            assertThat(noTarget.path("error").path("status").asInt()).isEqualTo(400);
            assertThat(noTarget.path("error").path("detail").asString()).startsWith("'to' is required");

            JsonNode oversized = stream.send("{\"ref\":8,\"to\":{\"all\":true},\"data\":\"" + "x".repeat(3000) + "\"}").next();
            assertThat(oversized.path("ref").asInt()).isEqualTo(8);
            assertThat(oversized.path("error").path("type").asString()).isEqualTo("urn:pushgate:problem:body-too-large");
            assertThat(oversized.path("error").path("status").asInt()).isEqualTo(413);

            JsonNode notJson = stream.send("hello").next();
            assertThat(notJson.has("ref")).isFalse();
            assertThat(notJson.path("error").path("type").asString()).isEqualTo("urn:pushgate:problem:bad-request");

            JsonNode badRef = stream.send("{\"ref\":[1],\"to\":{\"all\":true}}").next();
            assertThat(badRef.has("ref")).isFalse();
            assertThat(badRef.path("error").path("detail").asString()).isEqualTo("'ref' must be a string or a number");

            JsonNode after = stream.send(good).next();
            assertThat(after.path("ref").asInt()).isEqualTo(99);
            assertThat(after.path("ok").asBoolean()).isTrue();
            assertThat(stream.isClosed()).isFalse();
        }
    }

    @Test
    void aFrameOverTwiceTheBodyLimitClosesTheStreamWith1002() {
        try (WsTestClient stream = stream()) {
            stream.send("{\"ref\":1,\"to\":{\"all\":true},\"data\":\"" + "x".repeat(70_000) + "\"}");
            // the WebSocket layer refuses it before it is read: Reactor Netty closes with a protocol error
            assertThat(stream.awaitClose().code()).isEqualTo(1002);
        }
    }

    static Stream<String> badBodies() {
        return Stream.of(
                "{\"to\":{\"uidz\":[\"x\"]},\"data\":1}",
                "{\"data\":1}",
                "{\"to\":{\"uids\":[\"has space\"]}}",
                "{\"to\":{\"all\":true},\"ttl\":-1}",
                "{\"to\":{\"all\":\"yes\"}}",
                "{\"to\":{\"all\":true},\"uid\":\"x\"}",
                "{\"to\":{\"all\":true},\"idempotencyKey\":\"has space\"}",
                "[{\"to\":{\"all\":true}}]",
                "{\"to\":{\"all\":true},\"data\":",
                "",
                "{\"to\":{\"all\":true},\"data\":\"" + "x".repeat(3000) + "\"}");
    }

    @ParameterizedTest
    @MethodSource("badBodies")
    void aBadBodyGetsTheSameProblemAsOverHttp(String body) {
        JsonNode overHttp = api.post("/api/v1/messages", body, body.length() > 2048 ? 413 : 400);
        try (WsTestClient stream = stream()) {
            JsonNode answer = stream.send(body).next();
            assertThat(answer.path("ok").asBoolean()).isFalse();
            JsonNode error = answer.path("error");
            for (String field : List.of("type", "title", "status", "detail")) {
                assertThat(error.path(field)).as(field).isEqualTo(overHttp.path(field));
            }
            assertThat(error.path("instance").asString()).isEqualTo("/api/v1/stream");
        }
    }
    @Autowired
    @Qualifier("publishStreamDrain")
    SmartLifecycle drain;

    @Test
    void atShutdownAStreamAnswersEveryPublishItReadAndClosesWith1001() throws Exception {
        String uid = TestSecrets.uniqueUid("drain");
        int sent = 300;
        int answered = 0;
        try (WsTestClient session = session(uid); WsTestClient stream = stream()) {
            for (int i = 0; i < sent; i++) {
                stream.send("{\"ref\":" + i + ",\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + i + "}");
            }
            assertThat(stream.next().path("ref").asInt()).isZero(); // the stream is being read
            answered = 1;
            Thread stopper = new Thread(drain::stop);
            stopper.start();
            try {
                assertThat(stream.awaitClose().code()).isEqualTo(1001);
                stopper.join(WsTestClient.WAIT.toMillis());
                for (JsonNode answer : stream.drain()) {
                    assertThat(answer.path("ref").asInt()).isEqualTo(answered++);
                    assertThat(answer.path("ok").asBoolean()).isTrue();
                }
                try (RawHttp http = RawHttp.connect(port)) {
                    RawHttp.Response refused = http.exchange(UPGRADE + "Authorization: Bearer " + TestSecrets.API_KEY + "\r\n\r\n");
                    assertThat(refused.status()).isEqualTo(503);
                    assertThat(refused.body()).contains("urn:pushgate:problem:shutting-down");
                }
            } finally {
                drain.start();
            }
            // what was answered was delivered, and nothing else was: the next message after those is a marker
            for (int i = 0; i < answered; i++) {
                assertThat(session.nextMessage().path("data").asInt()).isEqualTo(i);
            }
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"marker\"}");
            assertThat(session.nextMessage().path("event").asString()).isEqualTo("marker");
        }
        try (WsTestClient reopened = stream()) {
            assertThat(reopened.send("{\"ref\":1,\"to\":{\"all\":true}}").next().path("ok").asBoolean()).isTrue();
        }
    }
}
