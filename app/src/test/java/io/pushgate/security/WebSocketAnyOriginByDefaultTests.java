package io.pushgate.security;

import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/** Without {@code pushgate.cors.allowed-origins}, {@code /ws} does not check {@code Origin}. */
@PushgateIntegrationTest
class WebSocketAnyOriginByDefaultTests {

    @LocalServerPort
    int port;

    @Test
    void anyOriginConnectsWhenNoAllowListIsSet() {
        String uid = uniqueUid("any-origin");
        try (WsTestClient client = WsTestClient.connect(new Api(port).ws("token=" + token(uid)),
                Map.of("Origin", "https://elsewhere.example.com"), List.of())) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
    }
}
