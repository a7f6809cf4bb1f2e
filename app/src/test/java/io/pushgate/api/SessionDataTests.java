package io.pushgate.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.http.HttpMethod.PATCH;
import static org.springframework.http.HttpMethod.PUT;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/**
 * {@code /api/v1/clients/{id}/data}: a backend keeps a small JSON object on a connection (GatewayWorker's
 * {@code setSession}/{@code getSession}), exactly as it sent it, capped in size, gone with the connection.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.events.max-session-data=64B")
class SessionDataTests {

    @LocalServerPort
    int port;

    @Test
    void aPutIsReadBackExactlyAndAPatchMergesTopLevelMembers() {
        Api api = new Api(port);
        try (WsTestClient ws = connect(api)) {
            String data = "/api/v1/clients/" + ws.nextOfType("welcome").path("clientId").asString() + "/data";
            assertThat(api.get(data).toString()).as("none set yet").isEqualTo("{}");

            assertThat(api.send(PUT, data, "{ \"room\" : \"7\", \"pi\": 3.14159265358979323846264, \"e\":\"\\u00e9\" }", 200)
                    .path("room").asString()).as("the answer is the data stored").isEqualTo("7");
            assertThat(api.raw(data)).as("every token as sent, whitespace between tokens dropped")
                    .isEqualTo("{\"room\":\"7\",\"pi\":3.14159265358979323846264,\"e\":\"\\u00e9\"}");

            api.send(PATCH, data, "{\"room\":null,\"seen\":[1,2],\"pi\":1e999}", 200);
            assertThat(api.raw(data)).isEqualTo("{\"pi\":1e999,\"e\":\"\\u00e9\",\"seen\":[1,2]}");

            api.send(PUT, data, "{}", 200);
            assertThat(api.raw(data)).isEqualTo("{}");
        }
    }

    @Test
    void badBodiesAndDataOverTheCapChangeNothing() {
        Api api = new Api(port);
        try (WsTestClient ws = connect(api)) {
            String data = "/api/v1/clients/" + ws.nextOfType("welcome").path("clientId").asString() + "/data";
            api.send(PUT, data, "{\"a\":1}", 200);
            assertThat(api.send(PUT, data, "[1,2]", 400).path("detail").asString()).contains("JSON object");
            assertThat(api.send(PATCH, data, "{\"a\":", 400).path("type").asString()).endsWith(":bad-request");
            assertThat(api.send(PUT, data, "{\"a\":\"" + "x".repeat(64) + "\"}", 413).path("type").asString())
                    .endsWith(":session-data-too-large");
            assertThat(api.send(PATCH, data, "{\"b\":\"" + "x".repeat(60) + "\"}", 413).path("type").asString())
                    .as("the merged result counts").endsWith(":session-data-too-large");
            assertThat(api.raw(data)).isEqualTo("{\"a\":1}");
        }
    }

    @Test
    void anUnknownOrClosedClientIs404() {
        Api api = new Api(port);
        String data;
        try (WsTestClient ws = connect(api)) {
            data = "/api/v1/clients/" + ws.nextOfType("welcome").path("clientId").asString() + "/data";
            api.send(PUT, data, "{\"a\":1}", 200);
        }
        org.awaitility.Awaitility.await().untilAsserted(() -> api.get(data, 404));
        assertThat(api.send(PUT, data, "{\"a\":1}", 404).path("type").asString()).endsWith(":client-not-found");
        api.send(PATCH, "/api/v1/clients/nobody-1/data", "{}", 404);
    }

    private static WsTestClient connect(Api api) {
        return WsTestClient.connect(api.ws("token=" + TestSecrets.token(TestSecrets.uniqueUid("data"))));
    }
}
