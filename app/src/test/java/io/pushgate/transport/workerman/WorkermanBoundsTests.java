package io.pushgate.transport.workerman;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.pushgate.core.PushNode;
import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawWebSocket;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A push.php page that stops reading fills its bounded queue and is closed with 4408, as on {@code /ws}:
 * publishes never wait for it. A small queue, as {@code SlowClientTests} uses; and a short time to send
 * the uid; and one session per uid.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.workerman-ws.enabled=true", "pushgate.session.queue=8",
        "pushgate.ws.auth-timeout=1s", "pushgate.session.max-per-uid=1"})
class WorkermanBoundsTests {

    /** Enough that the queue overflows after every buffer in between (prefetch, channel, sockets) is full. */
    static final int MESSAGES = 400;
    static final String PAD = "x".repeat(16 * 1024);

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Autowired
    PushNode node;

    @Test
    void aPageThatSendsNoUidInTimeIsClosedWith4401() {
        try (WsTestClient page = WsTestClient.connect(uri())) {
            assertThat(page.awaitClose()).isEqualTo(new WsTestClient.Close(4401, "no uid frame in time"));
        }
    }

    @Test
    void aDrainingNodeClosesThePageWith1001() throws Exception {
        String uid = uniqueUid("wm-drain");
        try (WsTestClient page = WsTestClient.connect(uri())) {
            page.send(uid);
            await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/v1/uids/" + uid).path("online").asBoolean());
            // what GracefulDrain does on SIGTERM, without stopping the context
            CompletableFuture<Boolean> drain = CompletableFuture.supplyAsync(() -> node.drain(Duration.ofSeconds(10)));
            try {
                assertThat(page.awaitClose()).isEqualTo(new WsTestClient.Close(1001, "server shutting down"));
                assertThat(drain.get()).as("every session left in time").isTrue();
            } finally {
                drain.join();
                node.reopen();
            }
        }
    }

    @Test
    void aSessionPastTheUidsLimitIsClosedWith4429() {
        String uid = uniqueUid("wm-limit");
        try (WsTestClient first = WsTestClient.connect(uri()); WsTestClient second = WsTestClient.connect(uri())) {
            first.send(uid);
            await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/v1/uids/" + uid).path("online").asBoolean());
            second.send(uid);

            assertThat(second.awaitClose().code()).isEqualTo(4429);
            assertThat(first.isClosed()).isFalse();
        }
    }

    @Test
    void aPageThatStopsReadingIsClosedWith4408() {
        String uid = uniqueUid("wm-slow");
        // a tiny receive buffer, and nothing read until the end
        try (RawWebSocket page = RawWebSocket.connect(port, WorkermanWebSocket.PATH, 4096)) {
            page.sendText(uid);
            await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/v1/uids/" + uid).path("online").asBoolean());

            int published = 0;
            while (published < MESSAGES && api.publish("""
                    {"to":{"uids":["%s"]},"event":"tick","data":"%d %s"}""".formatted(uid, published, PAD))
                    .path("sessions").asInt() == 1) {
                published++;
            }
            assertThat(published).as("the queue overflowed within %d messages", MESSAGES).isLessThan(MESSAGES);
            // out of presence while the page still reads nothing: the server does not wait for its close to get through
            await().atMost(Duration.ofSeconds(10)).until(() -> !api.get("/api/v1/uids/" + uid).path("online").asBoolean());

            // what it still reads is the start of the stream, in order, then the close
            int read = 0;
            RawWebSocket.Frame frame;
            while (!(frame = page.next()).isClose()) {
                if (frame.isText()) {
                    assertThat(frame.text()).startsWith(read + " ");
                    read++;
                }
            }
            assertThat(read).isLessThanOrEqualTo(published);
            assertThat(frame.closeCode()).as(frame.toString()).isEqualTo(4408);
            assertThat(frame.closeReason()).isEqualTo("slow client");
            await().atMost(Duration.ofSeconds(10)).until(() -> !api.get("/api/v1/uids/" + uid).path("online").asBoolean());
        }
    }

    private URI uri() {
        return URI.create("ws://localhost:" + port + WorkermanWebSocket.PATH);
    }
}
