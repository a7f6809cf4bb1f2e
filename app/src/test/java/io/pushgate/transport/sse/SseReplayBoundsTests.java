package io.pushgate.transport.sse;

import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An SSE stream resumed from further back than its session's queue holds (here 8) gets a {@code reset}
 * event, as a WebSocket does: the replay goes through the same bounded queue. Same settings as the
 * WebSocket's {@code DirectInputBoundsTests}, so both share one server.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.session.queue=8",
        "pushgate.ws.max-unauthenticated-per-address=3"
})
class SseReplayBoundsTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void aLastEventIdFromFurtherBackThanTheQueueHoldsGetsAReset() {
        String uid = uniqueUid("sse-resume");
        String seen;
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            sse.nextEvent("welcome");
            seen = sse.lastEventId();
        }
        for (int n = 0; n < 50; n++) {
            api.publish("""
                    {"to":{"uids":["%s"]},"event":"tick","data":{"n":%d}}""".formatted(uid, n));
        }
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid), Map.of("Last-Event-ID", seen))) {
            assertThat(sse.next().event()).isEqualTo("welcome");
            SseTestClient.Event next = sse.next();
            assertThat(next.event()).as(next.toString()).isEqualTo("reset");
            assertThat(next.id()).as("the stream goes on from the reset's cursor").isNotNull();
        }
    }
}
