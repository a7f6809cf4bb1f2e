package io.pushgate.transport.sse;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

/**
 * Back-pressure on SSE, whose events are written straight to the connection: a reader that stops
 * reading fills its bounded queue and is dropped; another stream of the same uid gets every message.
 *
 * <p>Same settings as {@code SlowClientTests}, so both share one server.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.session.queue=8",
        "pushgate.session.max-per-uid=2",
        "pushgate.session.max-groups=2"
})
class SseSlowClientTests {

    static final int MESSAGES = 400;
    /** Messages published before the reading stream must have read them: half its queue. */
    static final int WINDOW = 4;
    static final String PAD = "x".repeat(16 * 1024);

    @LocalServerPort
    int port;

    @Test
    void aStreamThatStopsReadingIsDroppedWhileTheOtherGetsEveryMessageInOrder() throws IOException {
        Api api = new Api(port);
        String uid = uniqueUid("sseslow");
        long droppedBefore = api.get("/api/v1/stats").path("nodes").path(0).path("dropped").asLong();
        try (Socket stalled = stalledStream(uid);
             SseTestClient reading = SseTestClient.open(port, "token=" + token(uid))) {
            reading.nextEvent("welcome");
            String[] ids = new String[MESSAGES];
            // the reader is never more than WINDOW messages behind (fewer than its queue holds), however
            // slowly this machine runs its thread; the stalled stream falls behind by all of them
            for (int n = 0; n < MESSAGES; n++) {
                JsonNode answer = api.publish("""
                        {"to":{"uids":["%s"]},"data":{"n":%d,"pad":"%s"}}""".formatted(uid, n, PAD));
                ids[n] = answer.path("id").asString();
                if (n % WINDOW == WINDOW - 1 || n == MESSAGES - 1) {
                    for (int r = n - n % WINDOW; r <= n; r++) {
                        SseTestClient.Event event = reading.nextMessage();
                        assertThat(event.id()).as("message %d", r).isEqualTo(ids[r]);
                        assertThat(event.json().path("data").path("n").asInt()).isEqualTo(r);
                    }
                }
            }
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(api.get("/api/v1/uids/" + uid).path("sessions").asInt()).as("the stalled stream left").isEqualTo(1));
            assertThat(api.get("/api/v1/stats").path("nodes").path(0).path("dropped").asLong())
                    .isGreaterThanOrEqualTo(droppedBefore + 1);
        }
    }

    /** An SSE request over a raw socket with a tiny receive buffer, read up to the welcome and no further. */
    private Socket stalledStream(String uid) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET /sse?token=" + token(uid) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains("event: welcome")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the stream ended before its welcome: " + seen);
            }
            seen.append((char) b);
        }
        return socket;
    }
}
