package io.pushgate.transport.workerman;

import java.net.URI;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Off by default: its uid is trusted, so nothing is served at its path unless switched on. */
@PushgateIntegrationTest
class WorkermanWebSocketDisabledTests {

    @LocalServerPort
    int port;

    @Test
    void theUpgradeIsAnswered404() {
        WsTestClient.HandshakeRefused refused = catchThrowableOfType(WsTestClient.HandshakeRefused.class,
                () -> WsTestClient.connect(URI.create("ws://localhost:" + port + WorkermanWebSocket.PATH)));

        assertThat(refused).isNotNull();
        assertThat(refused.status).isEqualTo(404);
    }
}
