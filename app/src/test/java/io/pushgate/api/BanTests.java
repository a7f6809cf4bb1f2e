package io.pushgate.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;

/**
 * A kick may ban: {@code ?ban=<seconds>} refuses the uid's new sessions (WebSocket close 4403
 * {@code banned}, SSE 403 {@code banned}) until the ban ends, and presence shows when it does.
 */
@PushgateIntegrationTest
class BanTests {

    @LocalServerPort
    int port;

    @Test
    void aKickWithABanRefusesTheUidsNewSessionsUntilTheBanEnds() {
        Api api = new Api(port);
        String uid = TestSecrets.uniqueUid("banned");
        try (WsTestClient first = ws(uid)) {
            long before = System.currentTimeMillis();
            assertThat(api.delete("/api/v1/uids/" + uid + "/sessions?ban=2", 200).path("closed").asInt()).isEqualTo(1);
            assertThat(first.awaitClose().code()).isEqualTo(4403);
            long until = api.get("/api/v1/uids/" + uid).path("bannedUntil").asLong();
            assertThat(until).isBetween(before + 1000, System.currentTimeMillis() + 2000);

            try (WsTestClient again = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid)))) {
                WsTestClient.Close refused = again.awaitClose();
                assertThat(refused.code()).isEqualTo(4403);
                assertThat(refused.reason()).isEqualTo("banned");
            }
            try (SseTestClient sse = SseTestClient.open(port, "token=" + TestSecrets.token(uid))) {
                assertThat(sse.status()).isEqualTo(403);
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> !api.get("/api/v1/uids/" + uid).has("bannedUntil"));
            try (WsTestClient after = ws(uid)) {
                assertThat(after.isClosed()).as("the ban ended").isFalse();
            }
        }
    }

    @Test
    void aClientKickWithABanBansItsUidAndABadBanIsRefused() {
        Api api = new Api(port);
        String uid = TestSecrets.uniqueUid("banned-client");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid)))) {
            String clientId = client.nextOfType("welcome").path("clientId").asString();
            api.delete("/api/v1/clients/" + clientId + "?ban=0", 400);
            api.delete("/api/v1/clients/" + clientId + "?ban=x", 400);
            api.delete("/api/v1/uids/" + uid + "/sessions?ban=2592001", 400);
            assertThat(client.isClosed()).as("a refused ban kicks nobody").isFalse();

            JsonNode kicked = api.delete("/api/v1/clients/" + clientId + "?ban=60", 200);
            assertThat(kicked.path("closed").asInt()).isEqualTo(1);
            assertThat(client.awaitClose().code()).isEqualTo(4403);
            try (WsTestClient again = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid)))) {
                assertThat(again.awaitClose().reason()).isEqualTo("banned");
            }
            assertThat(api.get("/api/v1/uids/" + uid).path("bannedUntil").asLong()).isGreaterThan(System.currentTimeMillis());
        }
    }

    private WsTestClient ws(String uid) {
        WsTestClient client = WsTestClient.connect(new Api(port).ws("token=" + TestSecrets.token(uid)));
        client.nextOfType("welcome");
        return client;
    }
}
