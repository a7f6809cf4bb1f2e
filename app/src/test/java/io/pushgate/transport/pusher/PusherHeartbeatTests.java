package io.pushgate.transport.pusher;

import java.net.URI;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A silent Pusher connection is sent {@code pusher:ping}; one that answers keeps going, one that answers
 * nothing for two heartbeats is closed with 4201, which pusher-js answers by reconnecting at once.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=1",
        "pushgate.compat.pusher.key=hb-key", "pushgate.compat.pusher.secret=hb-secret-0123456789", "pushgate.ws.heartbeat=300ms"})
class PusherHeartbeatTests {

    @LocalServerPort
    int port;

    private WsTestClient connect() {
        WsTestClient socket = WsTestClient.connect(URI.create("ws://127.0.0.1:" + port + "/app/hb-key?protocol=7"));
        assertThat(socket.next().path("event").asString()).isEqualTo("pusher:connection_established");
        return socket;
    }

    @Test
    void aConnectionThatAnswersItsPingsStays() {
        try (WsTestClient socket = connect()) {
            // four pings in a row, each answered, and no close among them: longer than two silent heartbeats
            for (int i = 0; i < 4; i++) {
                JsonNode ping = socket.next();
                assertThat(ping.path("event").asString()).isEqualTo("pusher:ping");
                socket.send("{\"event\":\"pusher:pong\",\"data\":{}}");
            }
            assertThat(socket.isClosed()).isFalse();
        }
    }

    @Test
    void aConnectionThatAnswersNothingIsClosedWith4201() {
        try (WsTestClient socket = connect()) {
            assertThat(socket.next().path("event").asString()).isEqualTo("pusher:ping");
            WsTestClient.Close close = socket.awaitClose();
            assertThat(close.code()).isEqualTo(4201);
        }
    }
}
