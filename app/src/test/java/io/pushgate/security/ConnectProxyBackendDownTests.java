package io.pushgate.security;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import io.pushgate.support.Api;
import io.pushgate.support.ConnectBackend;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/** The connect URL cannot be reached (nothing listens on loopback port 1): 503 at once, not after the timeout. */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.events.secret=" + ConnectBackend.SECRET,
        "pushgate.auth.connect-url=http://127.0.0.1:1/connect",
        "pushgate.auth.connect-timeout=10s"
})
class ConnectProxyBackendDownTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void aConnectIs503QuicklyAndAJwtStillWorks() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long started = System.nanoTime();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/poll?token=not-a-jwt"))
                .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
        assertThat(answer.body()).contains("urn:pushgate:problem:backend-unavailable");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

        try (WsTestClient ws = WsTestClient.connect(api.ws(""))) {
            ws.sendJson(java.util.Map.of("type", "auth", "token", "not-a-jwt"));
            assertThat(ws.awaitClose().code()).isEqualTo(1013);
        }
        String uid = uniqueUid("down");
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
    }
}
