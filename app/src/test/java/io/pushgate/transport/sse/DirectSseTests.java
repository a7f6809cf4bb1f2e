package io.pushgate.transport.sse;

import java.time.Duration;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams served straight from Netty ({@code pushgate.sse.direct}, on by default) carry the same headers
 * and events as those WebFlux serves; what the direct path leaves to WebFlux (cross-origin pages,
 * refusals) still gets WebFlux's answer. The rest of the stream's behaviour is covered by the other SSE
 * tests, which run on this path.
 */
@PushgateIntegrationTest
class DirectSseTests {

    @LocalServerPort
    int port;

    @Autowired
    DirectSse direct;

    @Test
    void aStreamWithAValidTokenIsServedStraightFromNettyWithWebFluxsHeaders() {
        String uid = uniqueUid("direct-sse");
        long before = direct.taken();
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            assertThat(sse.next().event()).isEqualTo("welcome");
            assertThat(direct.taken()).isEqualTo(before + 1);
            assertThat(sse.header("Content-Type")).isEqualTo("text/event-stream;charset=UTF-8");
            assertThat(sse.header("Cache-Control")).isEqualTo("no-cache");
            assertThat(sse.header("X-Accel-Buffering")).isEqualTo("no");
            assertThat(sse.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(sse.header("X-Frame-Options")).isEqualTo("DENY");

            JsonNode answer = new Api(port).publish("""
                    {"to":{"uids":["%s"]},"event":"hello","data":{"n":1}}""".formatted(uid));

            SseTestClient.Event message = sse.nextMessage();
            assertThat(message.id()).isEqualTo(answer.path("id").asString());
            assertThat(message.json().path("data").path("n").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aStreamFromAnotherOriginIsLeftToWebFlux() {
        long before = direct.taken();
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uniqueUid("origin")),
                Map.of("Origin", "https://app.example.com"))) {
            assertThat(sse.next().event()).isEqualTo("welcome");
            assertThat(direct.taken()).isEqualTo(before);
        }
    }

    @Test
    void aDroppedStreamLeavesPresence() {
        String uid = uniqueUid("gone");
        Api api = new Api(port);
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            sse.next();
            assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isTrue();
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> !api.get("/api/v1/uids/" + uid).path("online").asBoolean());
    }

    @Nested
    @TestPropertySource(properties = "pushgate.cors.allowed-origins=https://app.example.com")
    class AllowedOrigins {

        @LocalServerPort
        int corsPort;

        @Autowired
        DirectSse corsDirect;

        @Test
        void aStreamFromAnAllowedOriginIsServedDirectlyWithTheCorsHeadersWebFluxWouldGive() {
            long before = corsDirect.taken();
            try (SseTestClient sse = SseTestClient.open(corsPort, "token=" + token(uniqueUid("cors")),
                    Map.of("Origin", "https://app.example.com"))) {
                assertThat(sse.next().event()).isEqualTo("welcome");
                assertThat(corsDirect.taken()).isEqualTo(before + 1);
                assertThat(sse.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
                assertThat(sse.header("Access-Control-Allow-Credentials")).isEqualTo("true");
                assertThat(sse.headers().allValues("Vary"))
                        .containsExactly("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers");
            }
        }

        @Test
        void aStreamFromAnOriginNotOnTheListIsRefusedByWebFlux() {
            long before = corsDirect.taken();
            try (SseTestClient sse = SseTestClient.open(corsPort, "token=" + token(uniqueUid("cors-no")),
                    Map.of("Origin", "https://evil.example.com"))) {
                assertThat(sse.status()).isEqualTo(403);
            }
            assertThat(corsDirect.taken()).isEqualTo(before);
        }
    }

    @Nested
    @TestPropertySource(properties = "pushgate.session.max-per-uid=1")
    class OneSessionPerUid {

        @LocalServerPort
        int onePort;

        @Autowired
        DirectSse oneDirect;

        @Test
        void aSessionTheNodeRefusesGetsWebFluxsProblem() {
            String uid = uniqueUid("one");
            try (SseTestClient first = SseTestClient.open(onePort, "token=" + token(uid))) {
                first.next();
                long before = oneDirect.taken();

                try (SseTestClient second = SseTestClient.open(onePort, "token=" + token(uid))) {
                    assertThat(second.status()).isEqualTo(429);
                    assertThat(second.header("Content-Type")).isEqualTo("application/problem+json");
                }
                assertThat(oneDirect.taken()).isEqualTo(before);
            }
        }
    }

    @Nested
    @TestPropertySource(properties = {"server.netty.idle-timeout=300ms", "pushgate.sse.heartbeat=300ms"})
    class ShortHttpIdleTimeout {

        @LocalServerPort
        int shortPort;

        /** The idle timeout is for HTTP requests; a stream lasts as long as the client stays. */
        @Test
        void aStreamOutlivesTheHttpIdleTimeout() {
            String uid = uniqueUid("long");
            try (SseTestClient sse = SseTestClient.open(shortPort, "token=" + token(uid))) {
                sse.next();
                long until = System.nanoTime() + Duration.ofMillis(1_500).toNanos();
                while (System.nanoTime() < until) {
                    sse.nextComment(SseTestClient.WAIT); // heartbeats every 300 ms while the time passes
                }
                assertThat(sse.isEnded()).isFalse();

                new Api(shortPort).publish("""
                        {"to":{"uids":["%s"]},"event":"late","data":{}}""".formatted(uid));
                assertThat(sse.nextMessage().event()).isEqualTo("late");
            }
        }
    }

    @Nested
    @TestPropertySource(properties = "pushgate.sse.direct=false")
    class ServedByWebFlux {

        @LocalServerPort
        int webFluxPort;

        @Autowired
        DirectSse off;

        @Test
        void theSameStreamComesThroughWebFlux() {
            String uid = uniqueUid("webflux-sse");
            try (SseTestClient sse = SseTestClient.open(webFluxPort, "token=" + token(uid))) {
                assertThat(sse.next().event()).isEqualTo("welcome");
                assertThat(sse.header("Content-Type")).isEqualTo("text/event-stream;charset=UTF-8");
                JsonNode answer = new Api(webFluxPort).publish("""
                        {"to":{"uids":["%s"]},"event":"hello","data":{"n":2}}""".formatted(uid));
                assertThat(sse.nextMessage().id()).isEqualTo(answer.path("id").asString());
            }
            assertThat(off.taken()).isZero();
        }
    }
}
