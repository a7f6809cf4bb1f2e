package io.pushgate.transport.workerman;

import java.time.Duration;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawWebSocket;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * push.php's page never pings, so the server does, with WebSocket ping frames a browser answers on its
 * own: a page that answers keeps its session, one that answers nothing for two heartbeats is closed.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.workerman-ws.enabled=true", "pushgate.ws.heartbeat=300ms"})
class WorkermanHeartbeatTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void aPageThatAnswersPingsStaysPastTwoHeartbeats() {
        String uid = uniqueUid("wm-alive");
        try (RawWebSocket page = RawWebSocket.connect(port, WorkermanWebSocket.PATH).answerPings(true)) {
            page.sendText(uid);
            // four pings in a row, each answered, and no close among them: longer than two silent heartbeats
            for (int n = 0; n < 4; n++) {
                RawWebSocket.Frame frame = page.next();
                assertThat(frame.isPing()).as(frame.toString()).isTrue();
            }
            assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isTrue();
        }
    }

    @Test
    void aPageThatAnswersNothingIsClosedWith4408() {
        String uid = uniqueUid("wm-silent");
        try (RawWebSocket page = RawWebSocket.connect(port, WorkermanWebSocket.PATH)) {
            page.sendText(uid);
            RawWebSocket.Frame frame;
            while (!(frame = page.next()).isClose()) {
                assertThat(frame.isPing()).as(frame.toString()).isTrue();
            }
            assertThat(frame.closeCode()).isEqualTo(4408);
            assertThat(frame.closeReason()).isEqualTo("heartbeat timeout");
            await().atMost(Duration.ofSeconds(10)).until(() -> !api.get("/api/v1/uids/" + uid).path("online").asBoolean());
        }
    }
}
