package io.pushgate.transport.socketio;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawWebSocket;
import io.pushgate.web.Unauthenticated;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An Engine.IO session is unauthenticated from its handshake until its socket joins with a token (or
 * login): such sessions take a place among the node's unauthenticated connections, capped per peer
 * address (here 2), and a WebSocket client that pings without reading is ended, not buffered for.
 * Plain HTTP and a raw WebSocket, no Node.js.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.socket-io.enabled=true",
        "pushgate.ws.max-unauthenticated-per-address=2"})
class SocketIoBoundsTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Autowired
    Unauthenticated unauthenticated;

    @Test
    void handshakesWithoutLoginPastThePerAddressCapGet503UntilOneAuthenticatesOrEnds() {
        // sessions of the other test may still be winding down on the server: start with every place free
        await().atMost(RawWebSocket.WAIT).untilAsserted(() -> assertThat(unauthenticated.count()).isZero());
        List<String> open = new ArrayList<>();
        try {
            open.add(handshake(200));
            open.add(handshake(200));
            assertThat(refusal()).isEqualTo("{\"code\":3,\"message\":\"Too many unauthenticated sessions\"}");

            // the first joins namespace / with a token: no longer unauthenticated, its place is free
            post(open.get(0), "40{\"token\":\"" + token(uniqueUid("sio-bound")) + "\"}");
            await().atMost(RawWebSocket.WAIT).untilAsserted(() -> open.add(handshake(200)));
            assertThat(refusal()).contains("Too many unauthenticated sessions");

            // one that ends frees its place too
            post(open.remove(1), "1");
            await().atMost(RawWebSocket.WAIT).untilAsserted(() -> open.add(handshake(200)));
        } finally {
            open.forEach(sid -> post(sid, "1"));
        }
    }

    @Test
    void aFloodOfWebSocketPingsFromAClientThatNeverReadsEndsItsSession() {
        await().atMost(RawWebSocket.WAIT).untilAsserted(() -> assertThat(unauthenticated.count()).isZero());
        try (RawWebSocket client = RawWebSocket.connect(port, "/socket.io/?EIO=4&transport=websocket", 4096)) {
            assertThat(client.next().text()).startsWith("0{");
            byte[] payload = new byte[125];
            int sent = 0;
            try {
                for (; sent < 100_000; sent++) {
                    client.send(RawWebSocket.PING, payload);
                }
            } catch (IllegalStateException cut) {
                // the server ended the connection while pings were still going out
            }
            RawWebSocket.Frame close = client.awaitClose(Duration.ofSeconds(20));
            assertThat(close.isClose()).as("%s after %d pings", close, sent).isTrue();
        }
    }

    private String handshake(int status) {
        String body = api.client().get().uri("/socket.io/?EIO=4&transport=polling").exchange()
                .expectStatus().isEqualTo(status).expectBody(String.class).returnResult().getResponseBody();
        return body.substring("0{\"sid\":\"".length(), body.indexOf('"', "0{\"sid\":\"".length()));
    }

    private String refusal() {
        return api.client().get().uri("/socket.io/?EIO=4&transport=polling").exchange()
                .expectStatus().isEqualTo(503).expectBody(String.class).returnResult().getResponseBody();
    }

    private void post(String sid, String body) {
        api.client().post().uri("/socket.io/?EIO=4&transport=polling&sid=" + sid).bodyValue(body).exchange()
                .expectStatus().isOk().expectBody(String.class).isEqualTo("ok"); // read, so its buffer is released
    }
}
