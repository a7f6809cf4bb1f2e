package io.pushgate.transport.socketio;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.NodeSocketIoClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

/**
 * A page written for a Socket.IO server (web-msg-sender's, PHPSocketIO's) keeps its client code: the
 * stock {@code socket.io-client} 4 and 2 from npm, run by Node.js, connect over long-polling and upgrade
 * to WebSocket (or use one of them alone), and get every message as a Socket.IO event.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.socket-io.enabled=true",
        "pushgate.compat.socket-io.ping-interval=300ms", "pushgate.compat.socket-io.ping-timeout=2s"})
class SocketIoCompatTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void theDefaultClientPollsThenUpgradesToWebSocketAndGetsEveryMessageAsAnEvent() {
        String uid = uniqueUid("sio");
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, auth(uid, ""))) {
            assertThat(client.awaitField("open").path("open").asString()).isEqualTo("polling");
            client.awaitField("connect"); // over polling, or already over the WebSocket: the upgrade is quick here
            publish(uid, "new_msg", "\"over polling or websocket\"");
            assertThat(client.awaitEvent("new_msg").path("args").toString()).isEqualTo("[\"over polling or websocket\"]");

            assertThat(client.reported("upgrade").path("upgrade").asString()).isEqualTo("websocket");
            publish(uid, "chat", "{\"text\":\"hi\",\"n\":2}");
            assertThat(client.awaitEvent("chat").path("args").toString()).isEqualTo("[{\"text\":\"hi\",\"n\":2}]");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polling", "websocket"})
    void eitherTransportAloneCarriesMessagesInOrderAndOutlivesItsPings(String transport) {
        String uid = uniqueUid("sio-" + transport);
        String options = auth(uid, ",\"transports\":[\"" + transport + "\"]");
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, options)) {
            assertThat(client.awaitField("connect").path("transport").asString()).isEqualTo(transport);
            for (int n = 1; n <= 3; n++) {
                publish(uid, "new_msg", Integer.toString(n));
            }
            for (int n = 1; n <= 3; n++) {
                assertThat(client.awaitEvent("new_msg").path("args").toString()).isEqualTo("[" + n + "]");
            }
            publishAfterPings(client, uid);
            assertThat(client.awaitEvent("late").path("args").toString()).isEqualTo("[\"still here\"]");
            assertThat(client.seen()).noneMatch(line -> line.has("disconnect"));
        }
    }

    @Test
    void withoutATokenTheClientGetsAConnectError() {
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, "{}")) {
            assertThat(client.awaitField("connect_error").path("connect_error").asString())
                    .isEqualTo("unauthorized: connect with auth {token}");
        }
    }

    @Test
    void aBadTokenGetsAConnectErrorThatSaysWhy() {
        String options = "{\"auth\":{\"token\":\"" + TestSecrets.signedWithOtherSecret("x") + "\"}}";
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, options)) {
            assertThat(client.awaitField("connect_error").path("connect_error").asString()).isEqualTo("bad token signature");
        }
    }

    @Test
    void aKickedClientIsToldTheServerDisconnectedItAndStaysDisconnected() {
        String uid = uniqueUid("sio-kick");
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, auth(uid, ",\"transports\":[\"websocket\"]"))) {
            client.awaitField("connect");
            awaitSessionsOf(uid, 1);

            assertThat(api.delete("/api/v1/uids/" + uid + "/sessions", 200).path("closed").asInt()).isEqualTo(1);

            JsonNode disconnect = client.awaitField("disconnect");
            assertThat(disconnect.path("disconnect").asString()).isEqualTo("io server disconnect");
            assertThat(disconnect.path("active").asBoolean()).as("the client will not reconnect").isFalse();
            awaitSessionsOf(uid, 0);
        }
    }

    @Test
    void whenTheClientGoesAwayItsSessionEnds() {
        String uid = uniqueUid("sio-gone");
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, auth(uid, ""))) {
            client.reported("upgrade");
            awaitSessionsOf(uid, 1);
        }
        awaitSessionsOf(uid, 0);
    }

    /**
     * With no origin list any page may poll with its {@code auth} token, but not with the user's cookies:
     * an origin reflected with {@code Access-Control-Allow-Credentials} would let any site read answers
     * made with them.
     */
    @Test
    void aPageOfAnotherOriginMayPollWithoutCookies() {
        api.client().get().uri("/socket.io/?EIO=4&transport=polling").header("Origin", "https://app.example").exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", "https://app.example")
                .expectHeader().doesNotExist("Access-Control-Allow-Credentials")
                .expectBody(String.class).value(open -> assertThat(open)
                        .startsWith("0{\"sid\":\"").contains("\"upgrades\":[\"websocket\"]", "\"pingInterval\":300", "\"pingTimeout\":2000",
                                "\"maxPayload\":1000000"));
    }

    /** socket.io-client 2 (Engine.IO 3): the token in the query, packets framed by length, the client pinging. */
    @ParameterizedTest
    @ValueSource(strings = {"[\"polling\",\"websocket\"]", "[\"polling\"]", "[\"websocket\"]"})
    void socketIoClient2ConnectsWithTheTokenInItsQuery(String transports) {
        String uid = uniqueUid("sio2");
        String options = "{\"version\":2,\"transports\":" + transports + ",\"events\":[\"new_msg\",\"late\"],"
                + "\"query\":{\"token\":\"" + token(uid, List.of(), List.of()) + "\"}}";
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, options)) {
            client.awaitField("connect");
            if (transports.contains(",")) {
                assertThat(client.reported("upgrade").path("upgrade").asString()).isEqualTo("websocket");
            }
            publish(uid, "new_msg", "{\"text\":\"数据\",\"n\":1}");
            assertThat(client.awaitEvent("new_msg").path("args").toString()).isEqualTo("[{\"text\":\"数据\",\"n\":1}]");

            publishAfterPings(client, uid); // the client pings every 300 ms; the server answers
            assertThat(client.awaitEvent("late").path("args").toString()).isEqualTo("[\"still here\"]");
            assertThat(client.seen()).noneMatch(line -> line.has("disconnect"));
        }
    }

    @Test
    void socketIoClient2WithoutATokenGetsAnError() {
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, "{\"version\":2}")) {
            assertThat(client.awaitField("error").path("error").asString()).isEqualTo("unauthorized: connect with the query token=…");
        }
    }

    @Test
    void anotherEngineIoVersionIsToldItsProtocolIsNotServed() {
        String answer = api.client().get().uri("/socket.io/?EIO=2&transport=polling").exchange()
                .expectStatus().isBadRequest().expectBody(String.class).returnResult().getResponseBody();
        assertThat(answer).isEqualTo("{\"code\":5,\"message\":\"Unsupported protocol version\"}");
    }

    @Test
    void aPollOfAnUnknownSessionIsRefused() {
        String answer = api.client().get().uri("/socket.io/?EIO=4&transport=polling&sid=nope").exchange()
                .expectStatus().isBadRequest().expectBody(String.class).returnResult().getResponseBody();
        assertThat(answer).isEqualTo("{\"code\":1,\"message\":\"Session ID unknown\"}");
    }

    /**
     * web-msg-sender's page: {@code io(url)}, then {@code emit('login', uid)} on every connect, and
     * {@code on('new_msg')}, with socket.io-client 4 or with 2 (Engine.IO 3, the page as it was). Only
     * a node told to trust that binds the uid.
     */
    @Nested
    @TestPropertySource(properties = "pushgate.compat.socket-io.trust-login=true")
    class TrustedLogin {

        @ParameterizedTest
        @ValueSource(ints = {4, 2})
        void loginBindsTheUidAndItsMessagesArrive(int clientVersion) {
            String uid = uniqueUid("sio" + clientVersion + "-login");
            String options = "{\"version\":" + clientVersion + ",\"login\":\"" + uid + "\"}";
            try (NodeSocketIoClient client = NodeSocketIoClient.start(port, options)) {
                client.awaitField("connect");
                awaitSessionsOf(uid, 1);

                publish(uid, "new_msg", "\"&lt;b&gt;hi&lt;/b&gt;\"");

                assertThat(client.awaitEvent("new_msg").path("args").toString()).isEqualTo("[\"&lt;b&gt;hi&lt;/b&gt;\"]");
            }
        }
    }

    /** Each handshake opens a session before anyone authenticates: past the cap, a handshake is refused. */
    @Nested
    @TestPropertySource(properties = "pushgate.compat.socket-io.max-sessions=2")
    class SessionCap {

        @Test
        void handshakesPastTheCapGet503UntilASessionEnds() {
            String first = handshake(200);
            handshake(200);

            assertThat(api.client().get().uri("/socket.io/?EIO=4&transport=polling").exchange()
                    .expectStatus().isEqualTo(503).expectBody(String.class).returnResult().getResponseBody())
                    .isEqualTo("{\"code\":3,\"message\":\"Too many sessions\"}");

            api.client().post().uri("/socket.io/?EIO=4&transport=polling&sid=" + first).bodyValue("1").exchange()
                    .expectStatus().isOk().expectBody(String.class).isEqualTo("ok"); // the client closes its session
            handshake(200);
        }

        private String handshake(int status) {
            String open = api.client().get().uri("/socket.io/?EIO=4&transport=polling").exchange()
                    .expectStatus().isEqualTo(status).expectBody(String.class).returnResult().getResponseBody();
            return open.substring("0{\"sid\":\"".length(), open.indexOf('"', "0{\"sid\":\"".length()));
        }
    }

    @Test
    void withoutTrustALoginIsNotEnough() {
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, "{\"login\":\"" + uniqueUid("sio-claim") + "\"}")) {
            assertThat(client.awaitField("connect_error").path("connect_error").asString())
                    .isEqualTo("unauthorized: connect with auth {token}");
        }
    }

    private static String auth(String uid, String more) {
        return "{\"auth\":{\"token\":\"" + token(uid, List.of(), List.of()) + "\"}" + more + "}";
    }

    private void publish(String uid, String event, String data) {
        api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"" + event + "\",\"data\":" + data + "}");
    }

    /** Publishes once the client has had five pings (and answered them, or the server would have ended it). */
    private void publishAfterPings(NodeSocketIoClient client, String uid) {
        for (int i = 0; i < 5; i++) {
            client.awaitField("ping");
        }
        publish(uid, "late", "\"still here\"");
    }

    private void awaitSessionsOf(String uid, int sessions) {
        org.awaitility.Awaitility.await().atMost(NodeSocketIoClient.WAIT).untilAsserted(() ->
                assertThat(api.get("/api/v1/uids/" + uid).path("sessions").asInt()).isEqualTo(sessions));
    }
}
