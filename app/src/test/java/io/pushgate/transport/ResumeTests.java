package io.pushgate.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import io.pushgate.support.Api;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.ShortTimers;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * History and resume across every transport: a client that drops and comes back with its last cursor
 * gets every message it missed, once and in order, then live ones; one that comes back too late, or
 * after messages it missed were evicted, gets a reset; {@code ttl} holds messages for an offline uid's
 * next session.
 */
@PushgateIntegrationTest
@ShortTimers
class ResumeTests {

    static final int MISSED_BY_UID = 100;
    static final int MISSED_BY_GROUP = 20;
    /** Long enough for the biggest replay here to be written out. */
    static final Duration WAIT = Duration.ofSeconds(15);

    @LocalServerPort
    int port;

    Steps steps;

    @BeforeEach
    void setUp() {
        steps = new Steps(port);
    }

    // ---- resume after a gap, per transport ---------------------------------------------------------

    @Test
    void webSocketCursorOnConnectReplaysEveryMissedMessageInOrderThenGoesLive() {
        Steps.Client c = steps.client();
        String seen;
        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + c.token()))) {
            ws.nextOfType("welcome");
            seen = steps.publishTo(c.uid(), "\"first\"");
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(seen);
        }
        steps.awaitOffline(c.uid());
        List<String> missed = steps.publishGap(c);

        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + c.token() + "&cursor=" + seen))) {
            ws.nextOfType("welcome");
            Steps.assertReplayed(Steps.messages(ws, missed.size()), missed, c);

            String live = steps.publishTo(c.uid(), "\"live\"");
            assertThat(Steps.nextNonPing(ws).path("id").asString()).as("the live message right after the replay")
                    .isEqualTo(live);
        }
    }

    @Test
    void webSocketResumeFrameReplaysEveryMissedMessageInOrderThenGoesLive() {
        Steps.Client c = steps.client();
        String seen;
        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + c.token()))) {
            ws.nextOfType("welcome");
            seen = steps.publishTo(c.uid(), "\"first\"");
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(seen);
        }
        steps.awaitOffline(c.uid());
        List<String> missed = steps.publishGap(c);

        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + c.token()))) {
            ws.nextOfType("welcome");
            ws.send("{\"type\":\"resume\",\"cursor\":\"" + seen + "\",\"ref\":1}");

            List<JsonNode> replayed = new ArrayList<>();
            JsonNode reply = null;
            while (reply == null) {
                JsonNode frame = Steps.nextNonPing(ws);
                if ("reply".equals(frame.path("type").asString())) {
                    reply = frame;
                } else {
                    replayed.add(frame);
                }
            }
            assertThat(reply.path("ref").asLong()).isEqualTo(1);
            assertThat(reply.path("ok").asBoolean()).isTrue();
            assertThat(reply.path("result").path("replayed").asInt()).isEqualTo(missed.size());
            assertThat(reply.path("result").path("reset").asBoolean()).isFalse();
            Steps.assertReplayed(replayed, missed, c);

            String live = steps.publishTo(c.uid(), "\"live\"");
            assertThat(Steps.nextNonPing(ws).path("id").asString()).isEqualTo(live);
        }
    }

    @Test
    void sseLastEventIdReplaysEveryMissedMessageInOrderThenGoesLive() {
        Steps.Client c = steps.client();
        String seen;
        try (SseTestClient sse = SseTestClient.open(port, "token=" + c.token())) {
            sse.nextEvent("welcome");
            String id = steps.publishTo(c.uid(), "\"first\"");
            assertThat(sse.nextMessage().id()).isEqualTo(id);
            seen = sse.lastEventId();
        }
        steps.awaitOffline(c.uid());
        List<String> missed = steps.publishGap(c);

        try (SseTestClient sse = SseTestClient.open(port, "token=" + c.token(), Map.of("Last-Event-ID", seen))) {
            assertThat(sse.next().event()).isEqualTo("welcome");
            List<JsonNode> replayed = new ArrayList<>();
            for (int i = 0; i < missed.size(); i++) {
                SseTestClient.Event event = sse.next(WAIT);
                assertThat(event.id()).as("event %d carries its message id", i).isNotNull();
                assertThat(event.id()).isEqualTo(event.json().path("id").asString());
                replayed.add(event.json());
            }
            Steps.assertReplayed(replayed, missed, c);

            String live = steps.publishTo(c.uid(), "\"live\"");
            assertThat(sse.next().id()).isEqualTo(live); // Last-Event-ID may have moved on to a heartbeat's cursor since
        }
    }

    @Test
    void longPollCursorReplaysEveryMissedMessageInOrderThenGoesLive() {
        Steps.Client c = steps.client();
        PollTestClient poller = new PollTestClient(port, c.token());
        poller.poll();
        String seen = steps.publishTo(c.uid(), "\"first\"");
        assertThat(poller.poll().ids()).containsExactly(seen);
        assertThat(poller.cursor()).startsWith(seen + "~");
        steps.awaitOffline(c.uid()); // stopped polling: the grace runs out
        List<String> missed = steps.publishGap(c);

        Steps.assertReplayed(poller.pollMessages(missed.size()), missed, c);

        String live = steps.publishTo(c.uid(), "\"live\"");
        assertThat(poller.poll().ids()).containsExactly(live);
    }

    // ---- reset -------------------------------------------------------------------------------------

    /** A well-formed cursor that this server's history did not issue (another epoch: a restarted node). */
    static final String FOREIGN_CURSOR = "zzzzz-1-1";

    @Test
    void webSocketCursorFromAnotherEpochGetsAResetThenLiveMessages() {
        Steps.Client c = steps.client();
        steps.publishTo(c.uid(), "\"old\"");
        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + c.token() + "&cursor=" + FOREIGN_CURSOR))) {
            JsonNode welcome = ws.nextOfType("welcome");
            JsonNode reset = Steps.nextNonPing(ws);
            assertThat(reset.path("type").asString()).isEqualTo("reset");
            assertThat(reset.path("cursor").asString()).isEqualTo(welcome.path("cursor").asString());

            String live = steps.publishTo(c.uid(), "\"live\"");
            assertThat(Steps.nextNonPing(ws).path("id").asString()).as("nothing replayed after a reset").isEqualTo(live);
        }
    }

    @Test
    void webSocketResumeFrameFromAnotherEpochRepliesResetAndSendsAResetFrame() {
        Steps.Client c = steps.client();
        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + c.token()))) {
            ws.nextOfType("welcome");
            ws.send("{\"type\":\"resume\",\"cursor\":\"" + FOREIGN_CURSOR + "\",\"ref\":7}");

            assertThat(Steps.nextNonPing(ws).path("type").asString()).isEqualTo("reset");
            JsonNode reply = Steps.nextNonPing(ws);
            assertThat(reply.path("type").asString()).isEqualTo("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(7);
            assertThat(reply.path("ok").asBoolean()).isTrue();
            assertThat(reply.path("result").path("reset").asBoolean()).isTrue();
            assertThat(reply.path("result").path("replayed").asInt()).isZero();
        }
    }

    @Test
    void sseLastEventIdFromAnotherEpochGetsAResetEvent() {
        Steps.Client c = steps.client();
        try (SseTestClient sse = SseTestClient.open(port, "token=" + c.token(), Map.of("Last-Event-ID", FOREIGN_CURSOR))) {
            assertThat(sse.next().event()).isEqualTo("welcome");
            SseTestClient.Event reset = sse.next();
            assertThat(reset.event()).isEqualTo("reset");
            assertThat(reset.json().path("type").asString()).isEqualTo("reset");
            assertThat(reset.json().path("cursor").asString()).isNotBlank();

            String live = steps.publishTo(c.uid(), "\"live\"");
            assertThat(sse.next().id()).isEqualTo(live);
        }
    }

    @Test
    void pollCursorFromAnotherEpochGetsAResetAndACursorThatContinues() {
        Steps.Client c = steps.client();
        PollTestClient poller = new PollTestClient(port, c.token()).cursor(FOREIGN_CURSOR);
        Steps.assertPollReset(poller, steps, c);
    }

    @Test
    void aMalformedCursorIsRefusedOnEveryTransport() {
        Steps.Client c = steps.client();
        assertThatThrownBy(() -> WsTestClient.connect(steps.api.ws("token=" + c.token() + "&cursor=nope")))
                .isInstanceOfSatisfying(WsTestClient.HandshakeRefused.class, refused -> assertThat(refused.status).isEqualTo(400));
        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + c.token()))) {
            ws.nextOfType("welcome");
            ws.send("{\"type\":\"resume\",\"cursor\":\"nope\",\"ref\":3}");
            JsonNode reply = ws.nextOfType("reply");
            assertThat(reply.path("ok").asBoolean()).isFalse();
            assertThat(reply.path("ref").asLong()).isEqualTo(3);
            assertThat(reply.path("error").path("code").asString()).isEqualTo("bad_cursor");
        }
        try (SseTestClient sse = SseTestClient.open(port, "token=" + c.token(), Map.of("Last-Event-ID", "nope"))) {
            assertThat(sse.status()).isEqualTo(400);
        }
        assertThat(new PollTestClient(port, c.token()).pollWith("nope").status()).isEqualTo(400);
    }

    // ---- ttl: offline delivery ---------------------------------------------------------------------

    @Test
    void aTtlMessageToAnOfflineUidReachesItsNextSessionOnlyOnce() {
        String uid = uniqueUid("away");
        JsonNode answer = steps.api.publish("""
                {"to":{"uids":["%s"]},"event":"e","data":"held","ttl":60}""".formatted(uid));
        assertThat(answer.path("offline").toString()).isEqualTo("[\"" + uid + "\"]");
        assertThat(answer.path("online").toString()).isEqualTo("[]");
        assertThat(answer.path("sessions").asInt()).isZero();
        String held = answer.path("id").asString();

        try (WsTestClient first = WsTestClient.connect(steps.api.ws("token=" + token(uid)))) {
            first.nextOfType("welcome");
            JsonNode delivered = Steps.nextNonPing(first);
            assertThat(delivered.path("id").asString()).isEqualTo(held);
            assertThat(delivered.path("data").asString()).isEqualTo("held");

            try (WsTestClient second = WsTestClient.connect(steps.api.ws("token=" + token(uid)))) {
                second.nextOfType("welcome");
                String marker = steps.publishTo(uid, "\"marker\"");
                assertThat(Steps.nextNonPing(second).path("id").asString()).as("not delivered twice").isEqualTo(marker);
                assertThat(Steps.nextNonPing(first).path("id").asString()).isEqualTo(marker);
            }
        }
    }

    @Test
    void aFirstPollWithoutCursorGetsTheTtlHeldMessagesOnce() {
        String uid = uniqueUid("away");
        String held1 = steps.api.publish("""
                {"to":{"uids":["%s"]},"event":"e","data":1,"ttl":60}""".formatted(uid)).path("id").asString();
        String held2 = steps.api.publish("""
                {"to":{"uids":["%s"]},"event":"e","data":2,"ttl":60}""".formatted(uid)).path("id").asString();

        PollTestClient poller = new PollTestClient(port, token(uid));
        PollTestClient.Answer first = poller.poll();
        assertThat(first.ids()).containsExactly(held1, held2);
        assertThat(first.took()).isLessThan(Duration.ofMillis(ShortTimers.POLL_HOLD_MS));

        String marker = steps.publishTo(uid, "\"marker\"");
        assertThat(poller.poll().ids()).containsExactly(marker);
        assertThat(new PollTestClient(port, token(uid)).poll().ids()).as("taken by the first poller").isEmpty();
    }

    @Test
    void withoutTtlAMessageToAnOfflineUidIsNotDeliveredToAFreshConnection() {
        String uid = uniqueUid("away");
        JsonNode answer = steps.api.publish("""
                {"to":{"uids":["%s"]},"event":"e","data":"gone"}""".formatted(uid));
        assertThat(answer.path("offline").toString()).isEqualTo("[\"" + uid + "\"]");

        try (WsTestClient ws = WsTestClient.connect(steps.api.ws("token=" + token(uid)))) {
            ws.nextOfType("welcome");
            String marker = steps.publishTo(uid, "\"marker\"");
            assertThat(Steps.nextNonPing(ws).path("id").asString()).isEqualTo(marker);
        }
        assertThat(new PollTestClient(port, token(uid)).poll().messages()).isEmpty();
    }

    // ---- retention limits, each on its own server --------------------------------------------------

    @Nested
    @TestPropertySource(properties = "pushgate.history.window=1s")
    class PastTheWindow {

        static final long WINDOW_MS = 1000;

        @LocalServerPort
        int windowPort;

        Steps on;

        @BeforeEach
        void setUp() {
            on = new Steps(windowPort);
        }

        /** Publishes a message and waits, with the clock, until the window since it has passed. */
        private String expiredCursor(Steps.Client c) {
            JsonNode answer = on.api.publish("{\"to\":{\"uids\":[\"" + c.uid() + "\"]},\"event\":\"e\",\"data\":0}");
            long publishedAt = System.currentTimeMillis();
            on.publishTo(c.uid(), "\"missed\"");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> System.currentTimeMillis() > publishedAt + WINDOW_MS + 200);
            return answer.path("id").asString();
        }

        @Test
        void webSocketCursorOlderThanTheWindowGetsAReset() {
            Steps.Client c = on.client();
            String cursor = expiredCursor(c);
            try (WsTestClient ws = WsTestClient.connect(on.api.ws("token=" + c.token() + "&cursor=" + cursor))) {
                ws.nextOfType("welcome");
                assertThat(Steps.nextNonPing(ws).path("type").asString()).isEqualTo("reset");
                String live = on.publishTo(c.uid(), "\"live\"");
                assertThat(Steps.nextNonPing(ws).path("id").asString()).isEqualTo(live);
            }
        }

        @Test
        void sseLastEventIdOlderThanTheWindowGetsAReset() {
            Steps.Client c = on.client();
            String cursor = expiredCursor(c);
            try (SseTestClient sse = SseTestClient.open(windowPort, "token=" + c.token(), Map.of("Last-Event-ID", cursor))) {
                assertThat(sse.next().event()).isEqualTo("welcome");
                assertThat(sse.next().event()).isEqualTo("reset");
                String live = on.publishTo(c.uid(), "\"live\"");
                assertThat(sse.next().id()).isEqualTo(live);
            }
        }

        @Test
        void aCursorHandedOutOnAQuietNodeIsFreshAndResumesWithoutReset() {
            Steps.Client c = on.client();
            expiredCursor(c); // the node's last publish is now older than the window
            String welcomeCursor;
            try (WsTestClient ws = WsTestClient.connect(on.api.ws("token=" + c.token()))) {
                welcomeCursor = ws.nextOfType("welcome").path("cursor").asString();
            }
            try (WsTestClient ws = WsTestClient.connect(on.api.ws("token=" + c.token() + "&cursor=" + welcomeCursor))) {
                ws.nextOfType("welcome");
                String live = on.publishTo(c.uid(), "\"live\"");
                assertThat(Steps.nextNonPing(ws).path("id").asString()).as("no reset: nothing was missed").isEqualTo(live);
            }
        }

        @Test
        void aPollerThatKeepsPollingIsNotResetWhileNothingArrivesForLongerThanTheWindow() {
            Steps.Client c = on.client();
            PollTestClient poller = new PollTestClient(windowPort, c.token());
            poller.poll();
            long start = System.nanoTime();
            int polls = 0;
            while (System.nanoTime() - start < Duration.ofMillis(WINDOW_MS * 5 / 2).toNanos()) {
                PollTestClient.Answer answer = poller.poll();
                assertThat(answer.messages()).as("poll %d after %d ms", ++polls,
                        Duration.ofNanos(System.nanoTime() - start).toMillis()).isEmpty();
            }
            String live = on.publishTo(c.uid(), "\"live\"");
            assertThat(poller.poll().ids()).containsExactly(live);
        }

        @Test
        void pollCursorOlderThanTheWindowGetsAReset() {
            Steps.Client c = on.client();
            PollTestClient poller = new PollTestClient(windowPort, c.token()).cursor(expiredCursor(c));
            Steps.assertPollReset(poller, on, c);
        }
    }

    @Nested
    @TestPropertySource(properties = "pushgate.history.max-messages=10")
    class AfterEviction {

        static final int MAX = 10;

        @LocalServerPort
        int evictionPort;

        Steps on;

        @BeforeEach
        void setUp() {
            on = new Steps(evictionPort);
        }

        @Test
        void webSocketGapWithinTheStreamLimitIsReplayedAndOneBeyondItGetsAReset() {
            Steps.Client c = on.client();
            String cursor = on.publishTo(c.uid(), "\"seen\"");
            List<String> small = on.publishMany(c.uid(), MAX - 1);
            try (WsTestClient ws = WsTestClient.connect(on.api.ws("token=" + c.token() + "&cursor=" + cursor))) {
                ws.nextOfType("welcome");
                assertThat(Steps.messages(ws, small.size())).extracting(m -> m.path("id").asString())
                        .containsExactlyElementsOf(small);
            }

            cursor = small.get(small.size() - 1);
            List<String> big = on.publishMany(c.uid(), MAX * 2);
            try (WsTestClient ws = WsTestClient.connect(on.api.ws("token=" + c.token() + "&cursor=" + cursor))) {
                ws.nextOfType("welcome");
                assertThat(Steps.nextNonPing(ws).path("type").asString()).isEqualTo("reset");
                String live = on.publishTo(c.uid(), "\"live\"");
                assertThat(Steps.nextNonPing(ws).path("id").asString()).as("no partial replay after a reset")
                        .isEqualTo(live).isNotIn(big);
            }
        }

        @Test
        void sseAndPollGapBeyondTheStreamLimitGetAReset() {
            Steps.Client c = on.client();
            String cursor = on.publishTo(c.uid(), "\"seen\"");
            on.publishMany(c.uid(), MAX * 2);

            try (SseTestClient sse = SseTestClient.open(evictionPort, "token=" + c.token(), Map.of("Last-Event-ID", cursor))) {
                assertThat(sse.next().event()).isEqualTo("welcome");
                assertThat(sse.next().event()).isEqualTo("reset");
            }
            Steps.assertPollReset(new PollTestClient(evictionPort, c.token()).cursor(cursor), on, c);
        }
    }

    // ---- shared steps ------------------------------------------------------------------------------

    static final class Steps {

        record Client(String uid, String room, String token) {
        }

        final Api api;

        Steps(int port) {
            this.api = new Api(port);
        }

        /** A uid whose token puts it in a group of its own. */
        Client client() {
            String uid = uniqueUid("resume");
            String room = uniqueUid("room");
            return new Client(uid, room, token(uid, List.of(room), List.of()));
        }

        String publishTo(String uid, String dataJson) {
            return api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":" + dataJson + "}")
                    .path("id").asString();
        }

        List<String> publishMany(String uid, int count) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ids.add(publishTo(uid, String.valueOf(i)));
            }
            return ids;
        }

        /**
         * While the client is away: {@link #MISSED_BY_UID} messages to its uid with
         * {@link #MISSED_BY_GROUP} to its group among them, message {@code n} carrying {@code {"n":n}}.
         *
         * @return their ids in publish order
         */
        List<String> publishGap(Client c) {
            int total = MISSED_BY_UID + MISSED_BY_GROUP;
            StringBuilder batch = new StringBuilder("[");
            for (int n = 0; n < total; n++) {
                String to = toGroup(n) ? "{\"groups\":[\"" + c.room() + "\"]}" : "{\"uids\":[\"" + c.uid() + "\"]}";
                batch.append(n == 0 ? "" : ",").append("{\"to\":").append(to)
                        .append(",\"event\":\"gap\",\"data\":{\"n\":").append(n).append("}}");
            }
            List<String> ids = new ArrayList<>();
            api.post("/api/v1/messages:batch", batch.append(']').toString(), 200)
                    .forEach(answer -> ids.add(answer.path("id").asString()));
            assertThat(ids).hasSize(total).doesNotHaveDuplicates();
            return ids;
        }

        static boolean toGroup(int n) {
            return n % 6 == 5;
        }

        void awaitOffline(String uid) {
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isFalse());
        }

        static void assertReplayed(List<JsonNode> replayed, List<String> missed, Client c) {
            assertThat(replayed).extracting(m -> m.path("id").asString())
                    .as("every missed message, in order, once").containsExactlyElementsOf(missed);
            for (int n = 0; n < replayed.size(); n++) {
                JsonNode message = replayed.get(n);
                assertThat(message.path("type").asString()).isEqualTo("message");
                assertThat(message.path("data").path("n").asInt()).isEqualTo(n);
                if (toGroup(n)) {
                    assertThat(message.path("to").path("group").asString()).isEqualTo(c.room());
                } else {
                    assertThat(message.path("to").path("uid").asString()).isEqualTo(c.uid());
                }
            }
        }

        static JsonNode nextNonPing(WsTestClient ws) {
            return ws.next(frame -> !"ping".equals(frame.path("type").asString()));
        }

        /** The next {@code count} frames, each of which must be a message. */
        static List<JsonNode> messages(WsTestClient ws, int count) {
            Predicate<JsonNode> wanted = frame -> !"ping".equals(frame.path("type").asString());
            List<JsonNode> got = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                JsonNode frame = ws.next(wanted);
                assertThat(frame.path("type").asString()).as("frame %d of the replay: %s", i, frame).isEqualTo("message");
                got.add(frame);
            }
            return got;
        }

        /** The poller's cursor is no longer resumable: a reset frame and a cursor from which it continues. */
        static void assertPollReset(PollTestClient poller, Steps steps, Client c) {
            PollTestClient.Answer reset = poller.poll();
            assertThat(reset.status()).isEqualTo(200);
            assertThat(reset.took()).isLessThan(Duration.ofMillis(ShortTimers.POLL_HOLD_MS));
            assertThat(reset.messages()).singleElement()
                    .satisfies(m -> assertThat(m.path("type").asString()).isEqualTo("reset"));
            assertThat(reset.cursor()).contains("~");

            String live = steps.publishTo(c.uid(), "\"live\"");
            assertThat(poller.poll().ids()).containsExactly(live);
        }
    }
}
