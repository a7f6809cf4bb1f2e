package io.pushgate.security;

import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * With {@code pushgate.cors.allowed-origins} set, a {@code /ws} handshake from a page of another origin
 * is refused with 403 before the upgrade; listed origins, the request's own origin (as forwarded by a
 * proxy) and clients that send no {@code Origin} pass.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.cors.allowed-origins=https://app.example.com")
class WebSocketOriginTests {

    @Autowired
    Api api;

    @Test
    void aForeignOriginIsRefusedWith403ProblemBeforeTheUpgrade() {
        api.client().get().uri("/ws?token=" + token(uniqueUid("evil")))
                .header("Origin", "https://evil.example.com")
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade")
                .header("Sec-WebSocket-Version", "13")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                .exchange()
                .expectStatus().isForbidden()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.type").isEqualTo("urn:pushgate:problem:origin-not-allowed")
                .jsonPath("$.status").isEqualTo(403);

        WsTestClient.HandshakeRefused refused = catchThrowableOfType(WsTestClient.HandshakeRefused.class,
                () -> WsTestClient.connect(api.ws("token=" + token(uniqueUid("evil"))),
                        Map.of("Origin", "https://evil.example.com"), List.of()));
        assertThat(refused.status).isEqualTo(403);
    }

    @Test
    void anAllowedOriginConnects() {
        String uid = uniqueUid("app");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)),
                Map.of("Origin", "https://app.example.com"), List.of())) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
    }

    @Test
    void aClientWithoutOriginConnects() {
        String uid = uniqueUid("native");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
    }

    @Test
    void thePagesOwnOriginBehindAProxyConnectsThroughTheForwardedHeaders() {
        String uid = uniqueUid("same-origin");
        Map<String, String> forwarded = Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "push.example.com",
                "X-Forwarded-Port", "443", "Origin", "https://push.example.com");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)), forwarded, List.of())) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
        // Without the proxy's headers the same Origin is a foreign one.
        WsTestClient.HandshakeRefused refused = catchThrowableOfType(WsTestClient.HandshakeRefused.class,
                () -> WsTestClient.connect(api.ws("token=" + token(uid)), Map.of("Origin", "https://push.example.com"),
                        List.of()));
        assertThat(refused.status).isEqualTo(403);
    }

    /**
     * A client that reaches the node directly, not through a trusted proxy, cannot make its page's origin
     * look like pushgate's own by sending the proxy's headers: they are ignored.
     */
    @Nested
    @TestPropertySource(properties = "pushgate.http.trusted-proxies=192.0.2.1, 2001:db8::/32")
    class FromAPeerThatIsNotATrustedProxy {

        @LocalServerPort
        int port;

        @Test
        void forwardedHeadersDoNotMakeAForeignOriginTheServersOwn() {
            Api direct = new Api(port);
            Map<String, String> spoofed = Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example.com",
                    "X-Forwarded-Port", "443", "Origin", "https://evil.example.com");
            WsTestClient.HandshakeRefused refused = catchThrowableOfType(WsTestClient.HandshakeRefused.class,
                    () -> WsTestClient.connect(direct.ws("token=" + token(uniqueUid("spoof"))), spoofed, List.of()));
            assertThat(refused).as("the handshake was refused").isNotNull();
            assertThat(refused.status).isEqualTo(403);

            WsTestClient.HandshakeRefused standard = catchThrowableOfType(WsTestClient.HandshakeRefused.class,
                    () -> WsTestClient.connect(direct.ws("token=" + token(uniqueUid("spoof"))),
                            Map.of("Forwarded", "proto=https;host=evil.example.com", "Origin", "https://evil.example.com"),
                            List.of()));
            assertThat(standard).as("the handshake was refused").isNotNull();
            assertThat(standard.status).isEqualTo(403);
        }
    }
}
