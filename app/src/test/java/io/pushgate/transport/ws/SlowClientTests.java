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
 * Back-pressure: a client that stops reading fills its bounded queue and is dropped (4408); publishers
 * and the other sessions go on at full speed and lose nothing.
 *
 * <p>Same settings as {@link SessionLimitsTests}, so both share one server.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.session.queue=8",
        "pushgate.session.max-per-uid=2",
        "pushgate.session.max-groups=2"
})
class SlowClientTests {

    /**
     * Enough data that the stalled client's queue overflows even after every buffer in between (the
     * transport's prefetch, the channel's buffer and both sockets' buffers) has filled up.
     */
    static final int MESSAGES = 400;
    static final int PAD_BYTES = 16 * 1024;
    static final String PAD = "x".repeat(PAD_BYTES);
    /** Messages published before the fast client must have read them: half its queue. */
    static final int WINDOW = 4;

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void aClientThatStopsReadingIsDroppedWhileTheOthersGetEveryMessageInOrder() {
        String group = uniqueUid("room");
        String slowUid = uniqueUid("slow");
        String fastUid = uniqueUid("fast");
        try (RawWebSocket slow = stalledClient(slowUid, group);
             WsTestClient fast = WsTestClient.connect(api.ws("token=" + token(fastUid, List.of(group), List.of())))) {
            assertThat(fast.nextOfType("welcome").path("groups").toString()).isEqualTo("[\"" + group + "\"]");
            long droppedBefore = dropped();

            List<JsonNode> answers = new ArrayList<>();
            // the fast client is never more than WINDOW messages behind (fewer than its queue holds),
            // however slowly this machine runs its thread; the stalled one falls behind by all of them
            for (int n = 0; n < MESSAGES; n++) {
                answers.add(publish(group, n));
                if (n % WINDOW == WINDOW - 1 || n == MESSAGES - 1) {
                    for (int r = n - n % WINDOW; r <= n; r++) {
                        JsonNode message = fast.nextMessage();
                        assertThat(message.path("id").asString()).as("message %d", r).isEqualTo(answers.get(r).path("id").asString());
                        assertThat(message.path("data").path("n").asInt()).isEqualTo(r);
                        assertThat(message.path("data").path("pad").asString()).hasSize(PAD_BYTES);
                    }
                }
            }
            assertThat(fast.isClosed()).as("the fast client stays connected").isFalse();
            assertThat(answers.get(0).path("sessions").asInt()).as("both sessions reached at first").isEqualTo(2);
            assertThat(answers.get(MESSAGES - 1).path("sessions").asInt()).as("only the fast one at the end").isEqualTo(1);

            // the stalled client never reads again, yet it leaves presence: the server does not wait for it
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(api.get("/api/v1/uids/" + slowUid).path("online").asBoolean()).isFalse());
            assertThat(api.get("/api/v1/groups/" + group).path("uids").toString()).isEqualTo("[\"" + fastUid + "\"]");
            assertThat(api.get("/api/v1/uids/" + fastUid).path("online").asBoolean()).isTrue();
            assertThat(dropped()).isGreaterThanOrEqualTo(droppedBefore + 1);

            // what it can still read is a gap-free start of the stream, then the end of the connection
            assertThat(readUntilClose(slow).messages()).isLessThan(MESSAGES);
        }
    }

    @Test
    void aSlowClientThatReadsAgainFindsTheMessagesUpToTheOverflowThenClose4408() {
        String group = uniqueUid("room");
        String slowUid = uniqueUid("slow");
        try (RawWebSocket slow = stalledClient(slowUid, group)) {
            int published = 0;
            while (published < MESSAGES && publish(group, published).path("sessions").asInt() == 1) {
                published++;
            }
            assertThat(published).as("the queue overflowed within %d messages", MESSAGES).isLessThan(MESSAGES);

            Ending ending = readUntilClose(slow);
            assertThat(ending.messages()).isLessThan(published + 1);
            assertThat(ending.close().closeCode()).as(ending.close().toString()).isEqualTo(4408);
            assertThat(ending.close().closeReason()).isEqualTo("slow client");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(api.get("/api/v1/uids/" + slowUid).path("online").asBoolean()).isFalse());
        }
    }

    /** Connected, greeted, and from then on reading nothing through a tiny receive buffer. */
    private RawWebSocket stalledClient(String uid, String group) {
        RawWebSocket slow = RawWebSocket.connect(port, "/ws?token=" + token(uid, List.of(group), List.of()), 4096);
        assertThat(slow.nextOfType("welcome").path("groups").toString()).isEqualTo("[\"" + group + "\"]");
        return slow;
    }

    /** Api asserts 200 and gives up on an answer after 10 s, so a publish that failed or blocked fails the test. */
    private JsonNode publish(String group, int n) {
        return api.publish("""
                {"to":{"groups":["%s"]},"event":"tick","data":{"n":%d,"pad":"%s"}}""".formatted(group, n, PAD));
    }

    record Ending(int messages, RawWebSocket.Frame close) {
    }

    /** Reads the rest: the messages must be 0, 1, 2, … without a gap; returns how many, and the close. */
    private static Ending readUntilClose(RawWebSocket slow) {
        int expected = 0;
        RawWebSocket.Frame frame;
        while (!(frame = slow.next()).isClose()) {
            if (frame.isText() && "message".equals(frame.json().path("type").asString())) {
                assertThat(frame.json().path("data").path("n").asInt()).as("message after %d", expected - 1).isEqualTo(expected);
                expected++;
            }
        }
        return new Ending(expected, frame);
    }

    private long dropped() {
        return api.get("/api/v1/stats").path("nodes").path(0).path("dropped").asLong();
    }
}
