package io.pushgate.transport.ws;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawWebSocket;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Liveness: the server pings every heartbeat with a {@code {"type":"ping"}} text frame and a WebSocket
 * ping frame; a client that answers either way stays, one silent for two heartbeats is closed with 4408.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.ws.heartbeat=300ms")
class HeartbeatTests {

    static final long HEARTBEAT_MS = 300;
    /** More than two heartbeats: long enough for a silent client to have been closed. */
    static final int BEATS_TO_OUTLIVE = 5;

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void theServerSendsJsonAndWebSocketPingsEveryHeartbeat() {
        String uid = uniqueUid("beat");
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uid)).answerPings(true)) {
            assertThat(client.nextOfType("welcome").path("heartbeat").asLong()).isEqualTo(HEARTBEAT_MS);

            List<Long> jsonPings = new ArrayList<>();
            int pingFrames = 0;
            while (jsonPings.size() < BEATS_TO_OUTLIVE) {
                RawWebSocket.Frame frame = client.next();
                assertThat(frame.isClose()).as("closed: %s", frame).isFalse();
                if (frame.isPing()) {
                    pingFrames++;
                } else if (frame.isText()) {
                    assertThat(frame.json().path("type").asString()).isEqualTo("ping");
                    jsonPings.add(System.nanoTime());
                }
            }
            assertThat(pingFrames).as("WebSocket ping frames next to the JSON pings").isGreaterThanOrEqualTo(BEATS_TO_OUTLIVE - 1);
            long spanMs = Duration.ofNanos(jsonPings.get(jsonPings.size() - 1) - jsonPings.get(0)).toMillis();
            long intervals = jsonPings.size() - 1;
            assertThat(spanMs).as("%d intervals of %d ms", intervals, HEARTBEAT_MS)
                    .isBetween(intervals * HEARTBEAT_MS / 2, intervals * HEARTBEAT_MS * 3);
        }
    }

    @Test
    void aClientThatAnswersPingFramesStaysConnectedAcrossManyHeartbeats() {
        String uid = uniqueUid("browser");
        // the JDK client answers WebSocket pings by itself, as browsers do, and never sends a JSON pong
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            client.nextOfType("welcome");
            for (int beat = 0; beat < BEATS_TO_OUTLIVE; beat++) {
                client.nextOfType("ping");
            }
            assertThat(client.isClosed()).isFalse();

            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s"]},"event":"still_there","data":1}""".formatted(uid));
            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            assertThat(client.nextMessage().path("event").asString()).isEqualTo("still_there");
            assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isTrue();
        }
    }

    @Test
    void aClientThatAnswersJsonPingsWithJsonPongsStaysConnected() {
        String uid = uniqueUid("mini");
        // like a mini-program whose socket API hides ping frames: it answers only the JSON pings
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uid))) {
            client.nextOfType("welcome");
            int pongs = 0;
            while (pongs < BEATS_TO_OUTLIVE) {
                RawWebSocket.Frame frame = client.next();
                assertThat(frame.isClose()).as("closed: %s", frame).isFalse();
                if (frame.isText() && "ping".equals(frame.json().path("type").asString())) {
                    client.sendText("{\"type\":\"pong\"}");
                    pongs++;
                }
            }

            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s"]},"event":"still_there","data":2}""".formatted(uid));
            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            assertThat(client.nextOfType("message").path("event").asString()).isEqualTo("still_there");
            assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isTrue();
        }
    }

    @Test
    void aSilentClientIsClosedWith4408AfterTwoHeartbeatsAndLeavesPresence() {
        String uid = uniqueUid("silent");
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uid))) {
            long connected = System.nanoTime();
            client.nextOfType("welcome");
            assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isTrue();

            // it reads, but never answers a ping and never sends anything
            RawWebSocket.Frame close = client.awaitClose(Duration.ofMillis(10 * HEARTBEAT_MS));
            long afterMs = Duration.ofNanos(System.nanoTime() - connected).toMillis();

            assertThat(close.closeCode()).as(close.toString()).isEqualTo(4408);
            assertThat(close.closeReason()).isEqualTo("heartbeat timeout");
            // two silent heartbeats, less what the server's clock started ahead of ours
            assertThat(afterMs).as("closed after two silent heartbeats, not one").isGreaterThan(3 * HEARTBEAT_MS / 2);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isFalse());
            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s"]},"event":"gone","data":3}""".formatted(uid));
            assertThat(answer.path("offline").toString()).isEqualTo("[\"" + uid + "\"]");
        }
    }
}
