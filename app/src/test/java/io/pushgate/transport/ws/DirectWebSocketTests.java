package io.pushgate.transport.ws;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawWebSocket;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.signedWithOtherSecret;
import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Upgrades served straight from Netty ({@code pushgate.ws.direct}, on by default) speak the same
 * protocol as those WebFlux serves, and the parts Netty's WebSocket codec leaves to the server work:
 * pings are answered, fragments joined, close frames echoed, and the HTTP idle timeout no longer applies.
 * The rest of the protocol is covered by every other WebSocket test, which runs on this path.
 */
@PushgateIntegrationTest
class DirectWebSocketTests {

    @LocalServerPort
    int port;

    @Autowired
    DirectWebSocket direct;

    @Test
    void anUpgradeWithAValidTokenIsServedStraightFromNettyAndGetsItsMessages() {
        String uid = uniqueUid("direct");
        long before = direct.upgrades();
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uid))) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            assertThat(direct.upgrades()).isEqualTo(before + 1);

            JsonNode answer = new Api(port).publish("""
                    {"to":{"uids":["%s"]},"event":"hello","data":{"n":1}}""".formatted(uid));

            JsonNode message = client.nextOfType("message");
            assertThat(message.path("id").asString()).isEqualTo(answer.path("id").asString());
            assertThat(message.path("data").path("n").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aRefusedUpgradeIsLeftToWebFluxAndGetsItsProblem() {
        long before = direct.upgrades();

        assertThatExceptionOfType(RawWebSocket.HandshakeRefused.class)
                .isThrownBy(() -> RawWebSocket.connect(port, "/ws?token=" + signedWithOtherSecret(uniqueUid("bad"))).close())
                .satisfies(refused -> assertThat(refused.status).isEqualTo(401));
        assertThatExceptionOfType(RawWebSocket.HandshakeRefused.class)
                .isThrownBy(() -> RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("c")) + "&cursor=nonsense").close())
                .satisfies(refused -> assertThat(refused.status).isEqualTo(400));
        assertThat(direct.upgrades()).isEqualTo(before);
    }

    /** nginx keeps upstream connections alive: an upgrade may follow an API request on the same one. */
    @Test
    void anUpgradeAfterAnAnsweredRequestOnTheSameConnectionIsServedStraightFromNetty() {
        String uid = uniqueUid("after");
        long before = direct.upgrades();
        List<String> firstStatus = new ArrayList<>();
        try (RawWebSocket client = RawWebSocket.connectAfter(port, statsRequest(), false, "/ws?token=" + token(uid), firstStatus)) {
            assertThat(firstStatus).containsExactly("HTTP/1.1 200 OK");
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            assertThat(direct.upgrades()).isEqualTo(before + 1);
        }
    }

    private static String statsRequest() {
        return "GET /api/v1/stats HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TestSecrets.API_KEY + "\r\n\r\n";
    }

    @Test
    void aClientPingIsAnsweredWithItsPayload() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("ping")))) {
            client.nextOfType("welcome");

            client.send(RawWebSocket.PING, "are you there".getBytes(StandardCharsets.UTF_8));

            RawWebSocket.Frame pong = nextOfOpcode(client, RawWebSocket.PONG);
            assertThat(new String(pong.payload(), StandardCharsets.UTF_8)).isEqualTo("are you there");
        }
    }

    @Test
    void aFragmentedTextFrameIsHandledAsOneFrame() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("fragments")))) {
            client.nextOfType("welcome");

            client.send(RawWebSocket.TEXT, "{\"type\":\"pi".getBytes(StandardCharsets.UTF_8), false);
            client.send(RawWebSocket.CONTINUATION, "ng\",".getBytes(StandardCharsets.UTF_8), false);
            client.send(RawWebSocket.CONTINUATION, "\"ref\":7}".getBytes(StandardCharsets.UTF_8), true);

            JsonNode reply = client.nextJson(frame -> frame.path("ref").asLong() == 7);
            assertThat(reply.path("ok").asBoolean()).isTrue();
        }
    }

    @Test
    void aMessageWhoseFragmentsTogetherPassTheHardLimitClosesWith1009() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("huge")))) {
            client.nextOfType("welcome");
            byte[] piece = new byte[100 * 1024]; // the hard limit is 4 x 64 KiB; each fragment alone is under it
            java.util.Arrays.fill(piece, (byte) 'x');

            client.send(RawWebSocket.TEXT, piece, false);
            client.send(RawWebSocket.CONTINUATION, piece, false);
            client.send(RawWebSocket.CONTINUATION, piece, true);

            assertThat(client.awaitClose(RawWebSocket.WAIT).closeCode()).isEqualTo(1009);
        }
    }

    @Test
    void aClientCloseIsEchoedWithItsCodeAndEndsTheConnection() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("bye")))) {
            client.nextOfType("welcome");

            client.sendClose(4000, "done here");

            RawWebSocket.Frame close = client.awaitClose(RawWebSocket.WAIT);
            assertThat(close.closeCode()).isEqualTo(4000);
            assertThat(nextOfOpcode(client, RawWebSocket.EOF).opcode()).isEqualTo(RawWebSocket.EOF);
        }
    }

    @Nested
    @TestPropertySource(properties = "server.netty.idle-timeout=300ms")
    class ShortHttpIdleTimeout {

        @LocalServerPort
        int shortPort;

        /** The idle timeout is for HTTP requests; a WebSocket's liveness is its heartbeat (25 s here). */
        @Test
        void aQuietWebSocketOutlivesTheHttpIdleTimeout() {
            try (RawWebSocket client = RawWebSocket.connect(shortPort, "/ws?token=" + token(uniqueUid("quiet")))) {
                client.nextOfType("welcome");

                assertThat(client.poll(Duration.ofMillis(1_500))).as("nothing, not even the end of the stream").isNull();

                client.sendText("{\"type\":\"ping\",\"ref\":1}");
                assertThat(client.nextJson(frame -> frame.path("ref").asLong() == 1).path("ok").asBoolean()).isTrue();
            }
        }
    }

    @Nested
    @TestPropertySource(properties = "pushgate.poll.hold=500ms")
    class ShortPollHold {

        @LocalServerPort
        int pollPort;

        /** A long-poll is answered later, after the hold: an upgrade behind it on the connection waits. */
        @Test
        void anUpgradePipelinedBehindAHeldPollIsAnsweredAfterThePoll() {
            String pollUid = uniqueUid("held");
            String cursor = new PollTestClient(pollPort, token(pollUid)).poll().cursor();
            String heldPoll = "GET /poll?token=" + token(pollUid) + "&cursor=" + cursor + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
            String uid = uniqueUid("behind-poll");
            List<String> firstStatus = new ArrayList<>();

            try (RawWebSocket client = RawWebSocket.connectAfter(pollPort, heldPoll, true, "/ws?token=" + token(uid), firstStatus)) {
                assertThat(firstStatus).containsExactly("HTTP/1.1 200 OK");
                assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            }
        }
    }

    @Nested
    @TestPropertySource(properties = "pushgate.ws.direct=false")
    class ServedByWebFlux {

        @LocalServerPort
        int webFluxPort;

        @Autowired
        DirectWebSocket off;

        @Test
        void theSameProtocolWorksThroughWebFlux() {
            String uid = uniqueUid("webflux");
            try (RawWebSocket client = RawWebSocket.connect(webFluxPort, "/ws?token=" + token(uid))) {
                assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);

                JsonNode answer = new Api(webFluxPort).publish("""
                        {"to":{"uids":["%s"]},"event":"hello","data":{"n":2}}""".formatted(uid));
                assertThat(client.nextOfType("message").path("id").asString()).isEqualTo(answer.path("id").asString());

                client.sendText("{\"type\":\"ping\",\"ref\":5}");
                assertThat(client.nextJson(frame -> frame.path("ref").asLong() == 5).path("ok").asBoolean()).isTrue();

                client.sendClose(4000, "done here");
                assertThat(client.awaitClose(RawWebSocket.WAIT).closeCode()).isEqualTo(4000);
            }
            assertThat(off.upgrades()).isZero();
        }
    }

    private static RawWebSocket.Frame nextOfOpcode(RawWebSocket client, int opcode) {
        while (true) {
            RawWebSocket.Frame frame = client.next();
            if (frame.opcode() == opcode || frame.opcode() == RawWebSocket.EOF) {
                return frame;
            }
        }
    }
}
