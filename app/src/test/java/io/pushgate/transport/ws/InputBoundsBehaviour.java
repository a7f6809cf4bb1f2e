package io.pushgate.transport.ws;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.RawWebSocket;
import io.pushgate.web.Unauthenticated;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What a client that sends what it should not, or reads nothing, can make the server hold: every queue
 * it can fill is bounded, and past a bound the client gets a clear answer (4408, 503, 1007), never a
 * server that grows. Run over both upgrade paths (direct Netty and WebFlux) by the subclasses, with
 * {@code pushgate.session.queue=8} and {@code pushgate.ws.max-unauthenticated-per-address=3}.
 */
abstract class InputBoundsBehaviour {


    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Autowired
    Unauthenticated unauthenticated;

    @Test
    void invalidUtf8InATextFrameClosesWith1007() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("utf8")))) {
            client.nextOfType("welcome");
            client.send(RawWebSocket.TEXT, new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', '}'});
            RawWebSocket.Frame close = client.awaitClose(RawWebSocket.WAIT);
            assertThat(close.closeCode()).as(close.toString()).isEqualTo(1007);
        }
    }

    @Test
    void invalidUtf8BeforeAuthenticationClosesWith1007Too() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws")) {
            client.send(RawWebSocket.TEXT, new byte[] {(byte) 0xC3, 0x28});
            RawWebSocket.Frame close = client.awaitClose(RawWebSocket.WAIT);
            assertThat(close.closeCode()).as(close.toString()).isEqualTo(1007);
        }
    }

    /**
     * A client that floods WebSocket pings and reads none of the pongs: the pongs wait in the server's
     * outbound buffer, so once that is past its high-water mark the connection is closed (4408, or cut
     * when even the close frame cannot get through) rather than the buffer growing with every ping.
     */
    @Test
    void aFloodOfPingsFromAClientThatNeverReadsEndsItsConnection() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("pinger")), 4096)) {
            client.nextOfType("welcome");
            byte[] payload = new byte[125];
            int sent = 0;
            try {
                for (; sent < 100_000; sent++) {
                    client.send(RawWebSocket.PING, payload);
                }
            } catch (IllegalStateException cut) {
                // the server ended the connection while pings were still going out: what is asserted below
            }
            RawWebSocket.Frame close = client.awaitClose(Duration.ofSeconds(20));
            assertThat(close.closeCode()).as("%s after %d pings", close, sent).isIn(4408, 1006);
        }
    }

    /**
     * A resume from far back while the session's queue holds 8: the replay would not fit, so the client
     * is told to reload ({@code reset}) instead of the server queueing the whole history for it.
     */
    @Test
    void aResumeFromFurtherBackThanTheQueueHoldsGetsAReset() {
        String uid = uniqueUid("resumer");
        String cursor;
        try (RawWebSocket first = RawWebSocket.connect(port, "/ws?token=" + token(uid))) {
            cursor = first.nextOfType("welcome").path("cursor").asString();
        }
        for (int n = 0; n < 50; n++) {
            api.publish("""
                    {"to":{"uids":["%s"]},"event":"tick","data":{"n":%d}}""".formatted(uid, n));
        }
        try (RawWebSocket again = RawWebSocket.connect(port, "/ws?token=" + token(uid) + "&cursor=" + cursor, 4096)) {
            again.nextOfType("welcome");
            JsonNode next = again.nextJson(frame -> !"ping".equals(frame.path("type").asString()));
            assertThat(next.path("type").asString()).as(next.toString()).isEqualTo("reset");
        }
    }

    @Test
    void aResumeFrameFromFurtherBackThanTheQueueHoldsGetsAReset() {
        String uid = uniqueUid("resume-frame");
        String cursor;
        try (RawWebSocket first = RawWebSocket.connect(port, "/ws?token=" + token(uid))) {
            cursor = first.nextOfType("welcome").path("cursor").asString();
        }
        for (int n = 0; n < 50; n++) {
            api.publish("""
                    {"to":{"uids":["%s"]},"event":"tick","data":{"n":%d}}""".formatted(uid, n));
        }
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws?token=" + token(uid))) {
            client.nextOfType("welcome");
            client.sendText("{\"type\":\"resume\",\"cursor\":\"" + cursor + "\",\"ref\":2}");
            JsonNode first = client.nextJson(frame -> !"ping".equals(frame.path("type").asString()));
            assertThat(first.path("type").asString()).as(first.toString()).isEqualTo("reset");
            JsonNode reply = client.nextJson(frame -> frame.path("ref").asLong() == 2);
            assertThat(reply.path("result").path("reset").asBoolean()).as(reply.toString()).isTrue();
        }
    }

    /** Unauthenticated connections from one address are capped: one more is refused with 503 before the upgrade. */
    @Test
    void unauthenticatedConnectionsFromOneAddressAreCapped() {
        // connections of earlier tests may still be winding down on the server: start with every place free
        await().atMost(RawWebSocket.WAIT).untilAsserted(() -> assertThat(unauthenticated.count()).isZero());
        List<RawWebSocket> pending = new ArrayList<>();
        try {
            for (int n = 0; n < 3; n++) {
                pending.add(RawWebSocket.connect(port, "/ws"));
            }
            assertThatThrownBy(() -> RawWebSocket.connect(port, "/ws").close())
                    .isInstanceOfSatisfying(RawWebSocket.HandshakeRefused.class, refused -> assertThat(refused.status).isEqualTo(503));

            // one of them authenticates: its place is free again
            String uid = uniqueUid("late-auth");
            pending.get(0).sendText("{\"type\":\"auth\",\"token\":\"" + token(uid) + "\"}");
            assertThat(pending.get(0).nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            pending.add(RawWebSocket.connect(port, "/ws"));
            // a connection with a token in the handshake is never counted
            try (RawWebSocket withToken = RawWebSocket.connect(port, "/ws?token=" + token(uniqueUid("token")))) {
                withToken.nextOfType("welcome");
            }
        } finally {
            pending.forEach(RawWebSocket::close);
        }
        // closed ones free their places
        await().atMost(RawWebSocket.WAIT).untilAsserted(() -> {
            List<RawWebSocket> again = new ArrayList<>();
            try {
                for (int n = 0; n < 3; n++) {
                    again.add(RawWebSocket.connect(port, "/ws"));
                }
            } finally {
                again.forEach(RawWebSocket::close);
            }
        });
    }

    /**
     * Before authentication a frame announcing more than an auth frame's worth is refused as soon as its
     * header is read (1009): the server does not wait for, and hold, the payload.
     */
    @Test
    void aFrameHeaderAnnouncingABigPayloadBeforeAuthenticationClosesWith1009AtOnce() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws")) {
            int announced = 200 * 1024;
            byte[] start = new byte[2 + 8 + 4 + 1024];
            start[0] = (byte) 0x81; // final text frame
            start[1] = (byte) (0x80 | 127); // masked, 64-bit length
            for (int i = 0; i < 8; i++) {
                start[2 + i] = (byte) ((long) announced >>> (56 - 8 * i));
            }
            client.sendRaw(start); // a zero mask, then 1 KiB of the 200 KiB announced; the rest never comes
            RawWebSocket.Frame close = client.awaitClose(RawWebSocket.WAIT);
            assertThat(close.closeCode()).as(close.toString()).isEqualTo(1009);
        }
    }

    /** Fragments before authentication are joined up to an auth frame's worth too, not the full frame limit. */
    @Test
    void fragmentsBeyondAnAuthFramesWorthBeforeAuthenticationCloseWith1009() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws")) {
            byte[] part = "x".repeat(10 * 1024).getBytes(StandardCharsets.UTF_8);
            client.send(RawWebSocket.TEXT, part, false);
            client.send(RawWebSocket.CONTINUATION, part, false); // 20 KiB so far, and the message goes on
            RawWebSocket.Frame close = client.awaitClose(RawWebSocket.WAIT);
            assertThat(close.closeCode()).as(close.toString()).isEqualTo(1009);
        }
    }

    /** Once authenticated by its auth frame, a connection may send frames up to the full limit again. */
    @Test
    void afterAnAuthFrameBigFramesAreTakenAgain() {
        String uid = uniqueUid("big-after-auth");
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws")) {
            client.sendText("{\"type\":\"auth\",\"token\":\"" + token(uid) + "\"}");
            // sent at once behind the auth frame: read by the decoder that replaced the small one
            client.sendText("{\"type\":\"ping\",\"ref\":7,\"pad\":\"" + "x".repeat(40 * 1024) + "\"}");
            client.nextOfType("welcome");
            assertThat(client.nextJson(frame -> frame.path("ref").asLong() == 7).path("ok").asBoolean()).isTrue();
        }
    }

    /** Before authentication only an auth frame's worth is read: a bigger frame closes with 1009 at once. */
    @Test
    void aBigFrameBeforeAuthenticationClosesWith1009() {
        try (RawWebSocket client = RawWebSocket.connect(port, "/ws")) {
            client.send(RawWebSocket.TEXT, ("{\"type\":\"auth\",\"token\":\"" + "x".repeat(20_000) + "\"}")
                    .getBytes(StandardCharsets.UTF_8));
            RawWebSocket.Frame close = client.awaitClose(RawWebSocket.WAIT);
            assertThat(close.closeCode()).as(close.toString()).isEqualTo(1009);
        }
    }
}
