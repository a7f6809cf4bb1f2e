package io.pushgate.transport.pusher;

import java.net.URI;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact frames of Pusher's protocol 7, where pusher-js would hide them: {@code data} as a JSON string,
 * the error codes and close codes pusher-js decides on. The behaviour is tested with the stock clients in
 * {@link PusherCompatTests}; this checks the wire with a plain WebSocket.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=" + PusherCompatTests.APP_ID,
        "pushgate.compat.pusher.key=" + PusherCompatTests.KEY, "pushgate.compat.pusher.secret=" + PusherCompatTests.SECRET})
class PusherWireTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    private WsTestClient connect(String key, String query) {
        return WsTestClient.connect(URI.create("ws://127.0.0.1:" + port + "/app/" + key + query));
    }

    @Test
    void connectionEstablishedCarriesItsDataAsAJsonString() {
        try (WsTestClient socket = connect(PusherCompatTests.KEY, "?protocol=7&client=js&version=8.6.0&flash=false")) {
            JsonNode established = socket.next();
            assertThat(established.path("event").asString()).isEqualTo("pusher:connection_established");
            assertThat(established.path("data").isString()).isTrue();
            JsonNode data = JSON.readTree(established.path("data").asString());
            assertThat(data.path("socket_id").asString()).matches("\\d+\\.\\d+");
            assertThat(data.path("activity_timeout").asInt()).isEqualTo(120);

            socket.send("{\"event\":\"pusher:ping\",\"data\":{}}");
            assertThat(socket.next().path("event").asString()).isEqualTo("pusher:pong");
        }
    }

    @Test
    void aMessageIsEventChannelAndDataAsAString() {
        String channel = uniqueUid("wire");
        try (WsTestClient socket = connect(PusherCompatTests.KEY, "?protocol=7")) {
            socket.next();
            socket.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + channel + "\"}}");
            JsonNode ok = socket.next();
            assertThat(ok.toString()).isEqualTo("{\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":\"" + channel
                    + "\",\"data\":\"{}\"}");

            api.publish("{\"to\":{\"groups\":[\"" + channel + "\"]},\"event\":\"e\",\"data\":{\"n\":1.50}}");
            assertThat(socket.next().toString()).isEqualTo("{\"event\":\"e\",\"channel\":\"" + channel + "\",\"data\":\"{\\\"n\\\":1.50}\"}");

            api.publish("{\"to\":{\"groups\":[\"" + channel + "\"]},\"event\":\"e\",\"data\":\"plain \\\"text\\\"\"}");
            assertThat(socket.next().path("data").asString()).isEqualTo("plain \"text\"");
        }
    }

    @Test
    void anUnknownKeyIsError4001ThenClose4001() {
        try (WsTestClient socket = connect("not-the-key", "?protocol=7")) {
            JsonNode error = socket.next();
            assertThat(error.path("event").asString()).isEqualTo("pusher:error");
            assertThat(error.path("data").path("code").asInt()).isEqualTo(4001);
            assertThat(socket.awaitClose().code()).isEqualTo(4001);
        }
    }

    @Test
    void anotherProtocolIsClose4007() {
        try (WsTestClient socket = connect(PusherCompatTests.KEY, "?protocol=3")) {
            assertThat(socket.next().path("data").path("code").asInt()).isEqualTo(4007);
            assertThat(socket.awaitClose().code()).isEqualTo(4007);
        }
    }

    @Test
    void aKickIsClose4009WhichPusherJsDoesNotRetry() {
        try (WsTestClient socket = connect(PusherCompatTests.KEY, "?protocol=7")) {
            String socketId = JSON.readTree(socket.next().path("data").asString()).path("socket_id").asString();
            api.delete("/api/v1/clients/" + SocketIds.clientId(socketId), 200);
            assertThat(socket.awaitClose().code()).isEqualTo(4009);
        }
    }
}
