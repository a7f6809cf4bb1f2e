package io.pushgate.ops;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pushgate.support.Api;
import io.pushgate.support.Management;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawWebSocket;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.signedWithOtherSecret;
import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The pushgate meters as Prometheus scrapes them: real HTTP to {@code /actuator/prometheus} on the
 * management port of a real server, with sessions over each transport. A context of its own, so the
 * sessions gauge counts this class's sessions only; counters are compared before and after.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.node.id=metrics", "pushgate.session.queue=8"})
class MetricsTests {

    static final Duration WAIT = Duration.ofSeconds(15);
    static final String PAD = "x".repeat(16 * 1024);

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    Api api;

    /** One scrape, parsed. */
    record Scrape(String text) {

        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})? (\\S+)$", Pattern.MULTILINE);
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        /** The sum of the samples of {@code name} whose labels include {@code labels}. */
        double sum(String name, Map<String, String> labels) {
            double sum = 0;
            Matcher m = SAMPLE.matcher(text);
            while (m.find()) {
                if (m.group(1).equals(name) && hasLabels(m.group(3), labels)) {
                    sum += Double.parseDouble(m.group(4));
                }
            }
            return sum;
        }

        double sum(String name) {
            return sum(name, Map.of());
        }

        double value(String name, String label, String value) {
            return sum(name, Map.of(label, value));
        }

        boolean has(String name) {
            return text.lines().anyMatch(line -> line.startsWith(name + " ") || line.startsWith(name + "{"));
        }

        private static boolean hasLabels(String labelText, Map<String, String> wanted) {
            if (wanted.isEmpty()) {
                return true;
            }
            if (labelText == null) {
                return false;
            }
            Map<String, String> found = new java.util.HashMap<>();
            Matcher l = LABEL.matcher(labelText);
            while (l.find()) {
                found.put(l.group(1), l.group(2));
            }
            return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(found.get(e.getKey())));
        }
    }

    Scrape scrape() {
        Management.Answer answer = new Management(managementPort).get("/actuator/prometheus");
        assertThat(answer.status()).isEqualTo(200);
        return new Scrape(answer.body());
    }

    @Test
    void everyMeterOfTheDesignIsExposed() {
        Scrape scrape = scrape();
        for (String name : List.of("pushgate_uids", "pushgate_auth_failures_total", "pushgate_messages_published_total",
                "pushgate_slow_consumer_closes_total", "pushgate_fanout_latency_seconds_count",
                "pushgate_fanout_latency_seconds_bucket", "pushgate_history_messages", "pushgate_broker_degraded",
                "pushgate_broker_lag_seconds", "pushgate_events_dropped_total", "pushgate_events_sent_total",
                "pushgate_events_failures_total", "pushgate_events_queued", "pushgate_rpc_in_flight")) {
            assertThat(scrape.has(name)).as(name).isTrue();
        }
        assertThat(scrape.sum("pushgate_broker_degraded")).isZero();
        assertThat(scrape.sum("pushgate_events_dropped_total")).as("no backend here: nothing to drop").isZero();
        for (String source : List.of("api", "client", "compat")) {
            assertThat(scrape.has("pushgate_messages_published_total")).isTrue();
            assertThat(scrape.text()).contains("pushgate_messages_published_total{source=\"" + source + "\"}");
        }
    }

    @Test
    void sessionsOverEachTransportAreCountedByTransport() throws Exception {
        String wsUid = uniqueUid("ws");
        String sseUid = uniqueUid("sse");
        String pollUid = uniqueUid("poll");
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(wsUid)));
             SseTestClient sse = SseTestClient.open(port, "token=" + token(sseUid))) {
            ws.nextOfType("welcome");
            sse.nextEvent("welcome");
            PollTestClient poller = new PollTestClient(port, token(pollUid));
            CompletableFuture<PollTestClient.Answer> poll = poller.pollAsync();

            await().atMost(WAIT).untilAsserted(() -> {
                Scrape scrape = scrape();
                assertThat(scrape.sum("pushgate_sessions")).as(scrape.text()).isEqualTo(3);
                assertThat(scrape.value("pushgate_sessions", "transport", "websocket")).isEqualTo(1);
                assertThat(scrape.value("pushgate_sessions", "transport", "sse")).isEqualTo(1);
                assertThat(scrape.value("pushgate_sessions", "transport", "long-poll")).isEqualTo(1);
                assertThat(scrape.sum("pushgate_uids")).isEqualTo(3);
                assertThat(scrape.value("pushgate_connects_total", "transport", "sse")).isGreaterThanOrEqualTo(1);
            });

            api.publish("{\"to\":{\"uids\":[\"" + pollUid + "\"]},\"event\":\"wake\",\"data\":1}");
            PollTestClient.join(poll);
        }
    }

    @Test
    void publishesMoveThePublishedAndDeliveredCountersByTheirNumberAndAreSampledForLatency() {
        String uid = uniqueUid("reader");
        int n = 7;
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            ws.nextOfType("welcome");
            Scrape before = scrape();
            for (int i = 0; i < n; i++) {
                api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"tick\",\"data\":" + i + "}");
            }
            for (int i = 0; i < n; i++) {
                assertThat(ws.nextMessage().path("data").asInt()).isEqualTo(i);
            }

            await().atMost(WAIT).untilAsserted(() -> {
                Scrape after = scrape();
                assertThat(after.value("pushgate_messages_published_total", "source", "api")
                        - before.value("pushgate_messages_published_total", "source", "api")).isEqualTo(n);
                assertThat(after.value("pushgate_deliveries_total", "transport", "websocket")
                        - before.value("pushgate_deliveries_total", "transport", "websocket")).isEqualTo(n);
                assertThat(after.sum("pushgate_fanout_latency_seconds_count")
                        - before.sum("pushgate_fanout_latency_seconds_count")).as("one sample per frame").isEqualTo(n);
                assertThat(after.sum("pushgate_fanout_latency_seconds_bucket", Map.of("le", "+Inf"))).isGreaterThanOrEqualTo(n);
            });
        }
    }

    @Test
    void aClientPublishIsCountedAsSourceClient() {
        String group = uniqueUid("chat");
        try (WsTestClient sender = WsTestClient.connect(api.ws("token=" + token(uniqueUid("sender"), List.of(group), List.of(group))))) {
            sender.nextOfType("welcome");
            double before = scrape().value("pushgate_messages_published_total", "source", "client");
            double apiBefore = scrape().value("pushgate_messages_published_total", "source", "api");
            sender.sendJson(Map.of("type", "publish", "group", group, "event", "chat", "data", 1, "ref", 1));
            sender.nextMessage();

            await().atMost(WAIT).untilAsserted(() -> {
                Scrape after = scrape();
                assertThat(after.value("pushgate_messages_published_total", "source", "client") - before).isEqualTo(1);
                assertThat(after.value("pushgate_messages_published_total", "source", "api")).isEqualTo(apiBefore);
            });
        }
    }

    @Test
    void aSlowConsumerClosedMovesItsCounterAndADisconnectWith4408() {
        String group = uniqueUid("room");
        Scrape before = scrape();
        try (RawWebSocket slow = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("slow"), List.of(group), List.of()), 4096)) {
            slow.nextOfType("welcome");
            int published = 0;
            while (published < 400 && api.publish("""
                    {"to":{"groups":["%s"]},"event":"tick","data":{"pad":"%s"}}""".formatted(group, PAD)).path("sessions").asInt() == 1) {
                published++;
            }
            assertThat(published).as("the queue overflowed").isLessThan(400);

            await().atMost(WAIT).untilAsserted(() -> {
                Scrape after = scrape();
                assertThat(after.sum("pushgate_slow_consumer_closes_total") - before.sum("pushgate_slow_consumer_closes_total")).isEqualTo(1);
                assertThat(after.sum("pushgate_disconnects_total", Map.of("transport", "websocket", "code", "4408"))
                        - before.sum("pushgate_disconnects_total", Map.of("transport", "websocket", "code", "4408"))).isEqualTo(1);
            });
        }
    }

    @Test
    void disconnectsAreCountedWithTheirCloseCode() {
        String kicked = uniqueUid("kicked");
        Scrape before = scrape();
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(kicked)));
             WsTestClient leaving = WsTestClient.connect(api.ws("token=" + token(uniqueUid("leaving"))))) {
            ws.nextOfType("welcome");
            leaving.nextOfType("welcome");
            api.delete("/api/v1/uids/" + kicked + "/sessions", 200);
            assertThat(ws.awaitClose().code()).isEqualTo(4403);
            leaving.close();

            await().atMost(WAIT).untilAsserted(() -> {
                Scrape after = scrape();
                Map<String, String> kick = Map.of("transport", "websocket", "code", "4403");
                Map<String, String> byClient = Map.of("transport", "websocket", "code", "1000");
                assertThat(after.sum("pushgate_disconnects_total", kick) - before.sum("pushgate_disconnects_total", kick)).isEqualTo(1);
                assertThat(after.sum("pushgate_disconnects_total", byClient) - before.sum("pushgate_disconnects_total", byClient)).isEqualTo(1);
            });
        }
    }

    @Test
    void refusedTokensAreCountedByReasonOnce() {
        Scrape before = scrape();
        assertThatThrownBy(() -> RawWebSocket.connect(port, "/ws?token=" + signedWithOtherSecret(uniqueUid("bad"))).close())
                .isInstanceOf(RawWebSocket.HandshakeRefused.class);
        assertThatThrownBy(() -> RawWebSocket.connect(port, "/ws?token=not-a-token").close())
                .isInstanceOf(RawWebSocket.HandshakeRefused.class);
        String expired = token(uniqueUid("late"), Duration.ofHours(-1), List.of(), List.of());
        try (SseTestClient sse = SseTestClient.open(port, "token=" + expired)) {
            assertThat(sse.status()).isEqualTo(401);
        }

        await().atMost(WAIT).untilAsserted(() -> {
            Scrape after = scrape();
            for (String reason : List.of("bad_signature", "malformed", "expired")) {
                assertThat(after.value("pushgate_auth_failures_total", "reason", reason)
                        - before.value("pushgate_auth_failures_total", "reason", reason)).as(reason).isEqualTo(1);
            }
            assertThat(after.text()).doesNotContain("not-a-token");
        });
    }
}
