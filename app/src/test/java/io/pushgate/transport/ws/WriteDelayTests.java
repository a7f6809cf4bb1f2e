package io.pushgate.transport.ws;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/**
 * {@code pushgate.ws.write-delay}: frames wait up to the delay to be written together. Nothing is lost
 * or reordered, and the first message of a quiet session waits for the delay (never less).
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.ws.write-delay=400ms")
class WriteDelayTests {

    static final Duration DELAY = Duration.ofMillis(400);

    @LocalServerPort
    int port;

    @Test
    void messagesWaitForTheDelayThenArriveTogetherInOrderOnce() {
        Api api = new Api(port);
        String uid = uniqueUid("delayed");
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            ws.nextOfType("welcome"); // a welcome is written at once, not delayed
            long publishedAt = System.nanoTime();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + i + "}").path("id").asString());
            }
            List<String> got = new ArrayList<>();
            got.add(ws.nextMessage().path("id").asString());
            Duration firstAfter = Duration.ofNanos(System.nanoTime() - publishedAt);
            while (got.size() < ids.size()) {
                got.add(ws.nextMessage().path("id").asString());
            }

            assertThat(got).containsExactlyElementsOf(ids);
            assertThat(firstAfter).as("the first message waited for the write delay").isGreaterThanOrEqualTo(DELAY);
        }
    }
}
