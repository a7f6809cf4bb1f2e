package io.pushgate.transport.sse;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.ShortTimers;
import io.pushgate.support.SseTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.signedWithOtherSecret;
import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@PushgateIntegrationTest
@ShortTimers
class SseTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void streamIsUnbufferedEventStreamThatStartsWithRetryThenWelcome() {
        String uid = uniqueUid("sse");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid, List.of("room-a"), List.of()))) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.header("Content-Type")).startsWith("text/event-stream");
            assertThat(sse.header("Cache-Control")).isEqualTo("no-cache");
            assertThat(sse.header("X-Accel-Buffering")).isEqualTo("no");

            SseTestClient.Event welcome = sse.next();
            assertThat(welcome.event()).isEqualTo("welcome");
            JsonNode data = welcome.json();
            assertThat(welcome.id()).isEqualTo(data.path("cursor").asString()); // resumable before any message
            assertThat(data.path("type").asString()).isEqualTo("welcome");
            assertThat(data.path("uid").asString()).isEqualTo(uid);
            assertThat(data.path("clientId").asString()).isNotBlank();
            assertThat(data.path("cursor").asString()).isNotBlank();
            assertThat(data.path("heartbeat").asLong()).isEqualTo(ShortTimers.SSE_HEARTBEAT_MS);
            assertThat(data.path("groups").toString()).isEqualTo("[\"room-a\"]");

            assertThat(sse.lines().get(0)).isEqualTo("retry: 3000");
            assertThat(sse.lines().get(1)).isEmpty();
            assertThat(sse.retries()).containsExactly(3000L);
        }
    }

    @Test
    void publishToTheUidArrivesAsAnEventWhoseIdIsTheMessageIdAndDataTheMessageJson() {
        String uid = uniqueUid("sse");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            sse.nextEvent("welcome");

            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s"]},"event":"new_msg","data":{"text":"hi","n":1}}""".formatted(uid));
            String id = answer.path("id").asString();

            SseTestClient.Event event = sse.nextMessage();
            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            assertThat(event.id()).isEqualTo(id);
            assertThat(event.event()).isEqualTo("new_msg");
            JsonNode message = event.json();
            assertThat(message.path("type").asString()).isEqualTo("message");
            assertThat(message.path("id").asString()).isEqualTo(id);
            assertThat(message.path("event").asString()).isEqualTo("new_msg");
            assertThat(message.path("data").toString()).isEqualTo("{\"text\":\"hi\",\"n\":1}");
            assertThat(message.path("to").path("uid").asString()).isEqualTo(uid);
            assertThat(message.path("ts").asLong()).isPositive();
            // the event's own id: line (Last-Event-ID itself may already have moved on to a heartbeat's cursor)
            assertThat(sse.lines()).containsSubsequence("id: " + id, "event: new_msg", "data: " + event.data(), "");
        }
    }

    @Test
    void dataWithLineBreaksStaysOneDataLine() {
        String uid = uniqueUid("sse");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            sse.nextEvent("welcome");

            String id = api.publish("{\n  \"to\": {\"uids\": [\"" + uid + "\"]},\n  \"event\": \"note\",\n"
                    + "  \"data\": {\n    \"text\": \"line one\\nline two\\r\\nthree\"\n  }\n}").path("id").asString();

            SseTestClient.Event event = sse.nextMessage();
            assertThat(event.id()).isEqualTo(id);
            assertThat(event.data()).doesNotContain("\n");
            assertThat(event.json().path("data").path("text").asString()).isEqualTo("line one\nline two\r\nthree");
        }
    }

    @Test
    void aCommentLineArrivesEveryHeartbeatAndRetryIsSentOnlyOnce() {
        String uid = uniqueUid("sse");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            sse.nextEvent("welcome");
            Duration patience = Duration.ofMillis(ShortTimers.SSE_HEARTBEAT_MS * 10);

            assertThat(sse.nextComment(patience)).isEqualTo("heartbeat");
            long first = System.nanoTime();
            assertThat(sse.nextComment(patience)).isEqualTo("heartbeat");
            assertThat(sse.nextComment(patience)).isEqualTo("heartbeat");
            // one node-wide ticker at a fixed rate: the first comment may reach us late and the next ones on
            // time, so the spacing is two intervals less that lateness. Half an interval is allowed (a loaded
            // machine delays a read that much): comments sent twice as often would take one interval
            assertThat(Duration.ofNanos(System.nanoTime() - first))
                    .as("three heartbeats, one heartbeat apart")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(ShortTimers.SSE_HEARTBEAT_MS * 2 - ShortTimers.SSE_HEARTBEAT_MS / 2));

            assertThat(sse.lines()).contains(": heartbeat");
            assertThat(sse.retries()).containsExactly(3000L);
            assertThat(sse.isEnded()).isFalse();
        }
    }

    @Test
    void lastEventIdAsQueryParameterResumesForPolyfills() {
        String uid = uniqueUid("sse");
        String seen = api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":1}").path("id").asString();
        String missed = api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":2}").path("id").asString();

        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid) + "&lastEventId=" + seen)) {
            sse.nextEvent("welcome");
            SseTestClient.Event replayed = sse.nextMessage();
            assertThat(replayed.id()).isEqualTo(missed);
            assertThat(replayed.json().path("data").asInt()).isEqualTo(2);
        }
    }

    @Test
    void badLastEventIdIsABadRequestProblem() {
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uniqueUid("sse")),
                Map.of("Last-Event-ID", "not a cursor"))) {
            assertThat(sse.status()).isEqualTo(400);
            assertThat(sse.header("Content-Type")).startsWith("application/problem+json");
            JsonNode problem = sse.bodyJson();
            assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:bad-request");
            assertThat(problem.path("status").asInt()).isEqualTo(400);
            assertThat(problem.path("detail").asString()).contains("Last-Event-ID");
        }
    }

    @Test
    void missingOrInvalidTokenIsUnauthorizedProblem() {
        try (SseTestClient sse = SseTestClient.open(port, "")) {
            assertThat(sse.status()).isEqualTo(401);
            assertThat(sse.header("Content-Type")).startsWith("application/problem+json");
            assertThat(sse.bodyJson().path("type").asString()).isEqualTo("urn:pushgate:problem:missing-token");
        }
        try (SseTestClient sse = SseTestClient.open(port, "token=" + signedWithOtherSecret(uniqueUid("sse")))) {
            assertThat(sse.status()).isEqualTo(401);
            assertThat(sse.header("Content-Type")).startsWith("application/problem+json");
            assertThat(sse.bodyJson().path("type").asString()).isEqualTo("urn:pushgate:problem:invalid-token");
        }
    }

    /** From pushgate's own page: a browser's same-origin EventSource sends no Origin, but Sec-Fetch-Site. */
    @Test
    void tokenInThePushgateTokenCookieWorks() {
        String uid = uniqueUid("sse");
        try (SseTestClient sse = SseTestClient.open(port, "", Map.of("Cookie", "pushgate_token=" + token(uid),
                "Sec-Fetch-Site", "same-origin"))) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.nextEvent("welcome").json().path("uid").asString()).isEqualTo(uid);

            String id = api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":null}").path("id").asString();
            assertThat(sse.nextMessage().id()).isEqualTo(id);
        }
    }

    @Test
    void aKickedStreamGetsACloseEventAndEnds() {
        String uid = uniqueUid("sse");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            sse.nextEvent("welcome");

            assertThat(api.delete("/api/v1/uids/" + uid + "/sessions", 200).path("closed").asInt()).isEqualTo(1);

            JsonNode close = sse.nextEvent("close").json();
            assertThat(close.path("type").asString()).isEqualTo("close");
            assertThat(close.path("code").asInt()).isEqualTo(4403);
            sse.awaitEnd();
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isFalse());
        }
    }
}
