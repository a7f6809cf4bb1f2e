package io.pushgate.events;

import static io.pushgate.support.TestBackend.ofClient;
import static io.pushgate.support.TestBackend.ofUid;
import static io.pushgate.support.TestBackend.type;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.ConnectBackend;
import io.pushgate.support.NodeSocketIoClient;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.TestBackend;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import tools.jackson.databind.JsonNode;

/**
 * The backend's side of the conversation, as a backend sees it: a real HTTP server receives the signed
 * events of WebSocket, SSE, long-poll and Socket.IO clients (connect, message, join, leave, disconnect,
 * online, offline) and answers their calls, and the clients get the answers.
 */
@PushgateIntegrationTest
class BackendEventsTests {

    static final TestBackend backend = TestBackend.start();
    /** Admits the token {@code proxied:<uid>} with session data, as a backend that cannot sign JWTs would. */
    static final ConnectBackend connect = new ConnectBackend(request -> {
        String token = request.path("token").asString("");
        return token.startsWith("proxied:")
                ? ConnectBackend.Answer.of(200, "{\"uid\":\"" + token.substring(8) + "\",\"data\":{\"room\":\"9\",\"vip\":true,\"score\": 1.50}}")
                : ConnectBackend.Answer.of(401, "{}");
    });

    @DynamicPropertySource
    static void pointAtBackend(DynamicPropertyRegistry registry) {
        backend.register(registry);
        registry.add("pushgate.events.rpc-timeout", () -> "1s");
        registry.add("pushgate.compat.socket-io.enabled", () -> "true");
        registry.add("pushgate.auth.connect-url", connect::url);
        registry.add("pushgate.compat.workerman-ws.enabled", () -> "true");
    }

    @LocalServerPort
    int port;

    @AfterEach
    void everySignatureVerified() {
        assertThat(backend.badSignatures()).as("requests whose signature the backend could not verify").isZero();
        backend.down(false);
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
        connect.close();
    }

    @Test
    void aWebSocketClientsConnectMessageCallAndDisconnectReachTheBackendInOrder() {
        String uid = TestSecrets.uniqueUid("events-ws");
        Api api = new Api(port);
        String clientId;
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid, List.of("room"), List.of())))) {
            clientId = ws.nextOfType("welcome").path("clientId").asString();
            api.send(org.springframework.http.HttpMethod.PUT, "/api/v1/clients/" + clientId + "/data", "{\"name\":\"Ann\"}", 200);

            ws.send("{\"type\":\"send\",\"event\":\"chat\",\"data\":{\"text\":\"hi\",\"n\":1.50},\"ref\":1}");
            assertThat(ws.nextOfType("reply").path("ok").asBoolean()).isTrue();
            ws.send("{\"type\":\"rpc\",\"method\":\"add\",\"data\":[1,2],\"ref\":2}");
            JsonNode reply = ws.nextOfType("reply");
            assertThat(reply.path("ref").asInt()).isEqualTo(2);
            assertThat(reply.path("ok").asBoolean()).isTrue();
            assertThat(reply.path("data").toString()).isEqualTo("{\"echo\":[1,2]}");

            ws.send("{\"type\":\"leave\",\"group\":\"room\",\"ref\":3}");
            ws.nextOfType("reply");
            ws.send("{\"type\":\"join\",\"group\":\"room\",\"ref\":4}");
            ws.nextOfType("reply");
        }
        List<JsonNode> events = backend.await(ofClient(clientId).and(type("disconnect")), 1);
        List<String> types = backend.matching(ofClient(clientId)).stream().map(e -> e.path("type").asString()).toList();
        assertThat(types).containsExactly("connect", "online", "message", "leave", "join", "disconnect", "offline");

        JsonNode message = backend.matching(ofClient(clientId).and(type("message"))).get(0);
        assertThat(message.path("uid").asString()).isEqualTo(uid);
        assertThat(message.path("node").asString()).isEqualTo("test");
        assertThat(message.path("transport").asString()).isEqualTo("websocket");
        assertThat(message.path("event").asString()).isEqualTo("chat");
        assertThat(message.path("session").path("name").asString()).as("the session data rides along").isEqualTo("Ann");
        assertThat(backend.rawBatches()).as("data arrives exactly as the client wrote it")
                .anyMatch(raw -> raw.contains("\"data\":{\"text\":\"hi\",\"n\":1.50}"));
        assertThat(backend.matching(ofClient(clientId).and(type("join"))).get(0).path("group").asString()).isEqualTo("room");
        JsonNode disconnect = events.get(0);
        assertThat(disconnect.path("code").asInt()).as("the client's own close code").isEqualTo(1000);

        JsonNode call = backend.calls().stream().filter(c -> clientId.equals(c.body().path("clientId").asString())).findFirst().orElseThrow().body();
        assertThat(call.path("method").asString()).isEqualTo("add");
        assertThat(call.path("uid").asString()).isEqualTo(uid);
        assertThat(call.path("session").path("name").asString()).isEqualTo("Ann");

        List<JsonNode> all = backend.matching(ofClient(clientId));
        assertThat(all.stream().map(e -> e.path("id").asString()).distinct()).as("every event has its own id").hasSize(all.size());
    }

    @Test
    void theDataAConnectProxyAnswersIsTheSessionDataOfEveryEventAndOfTheApi() {
        String uid = TestSecrets.uniqueUid("events-proxied");
        Api api = new Api(port);
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=proxied:" + uid))) {
            String clientId = ws.nextOfType("welcome").path("clientId").asString();
            assertThat(api.raw("/api/v1/clients/" + clientId + "/data")).as("token for token, as the backend wrote it")
                    .isEqualTo("{\"room\":\"9\",\"vip\":true,\"score\":1.50}");
            ws.send("{\"type\":\"send\",\"data\":1,\"ref\":1}");
            ws.nextOfType("reply");
            JsonNode connected = backend.await(ofClient(clientId).and(type("connect")), 1).get(0);
            assertThat(connected.path("uid").asString()).isEqualTo(uid);
            assertThat(connected.path("session").path("room").asString()).isEqualTo("9");
            JsonNode message = backend.await(ofClient(clientId).and(type("message")), 1).get(0);
            assertThat(message.path("session").path("vip").asBoolean()).isTrue();
        }
        assertThat(connect.badSignatures()).isZero();
    }

    @Test
    void aKickIsADisconnectWithTheServersCloseCodeAndOnlineAndOfflineAreOncePerUid() {
        String uid = TestSecrets.uniqueUid("events-kick");
        Api api = new Api(port);
        try (WsTestClient first = ws(uid); WsTestClient second = ws(uid)) {
            api.delete("/api/v1/uids/" + uid + "/sessions", 200);
            first.awaitClose();
            second.awaitClose();
        }
        List<JsonNode> disconnects = backend.await(ofUid(uid).and(type("disconnect")), 2);
        assertThat(disconnects).allSatisfy(d -> {
            assertThat(d.path("code").asInt()).isEqualTo(4403);
            assertThat(d.path("reason").asString()).isEqualTo("kicked");
        });
        backend.await(ofUid(uid).and(type("offline")), 1);
        assertThat(backend.matching(ofUid(uid).and(type("online")))).hasSize(1);
        assertThat(backend.matching(ofUid(uid).and(type("offline")))).hasSize(1);
    }

    @Test
    void sseAndPollClientsSendAndCallThroughTheClientEndpoints() {
        String sseUid = TestSecrets.uniqueUid("events-sse");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + TestSecrets.token(sseUid))) {
            String clientId = sse.nextEvent("welcome").json().path("clientId").asString();
            PollTestClient commands = new PollTestClient(port, TestSecrets.token(sseUid));
            PollTestClient.Answer sent = commands.command("send", "{\"clientId\":\"" + clientId + "\",\"event\":\"typing\",\"data\":true}");
            assertThat(sent.status()).isEqualTo(200);
            PollTestClient.Answer answered = commands.command("rpc", "{\"clientId\":\"" + clientId + "\",\"method\":\"m\",\"data\":\"x\"}");
            assertThat(answered.status()).isEqualTo(200);
            assertThat(answered.json().path("data").toString()).isEqualTo("{\"echo\":\"x\"}");
            JsonNode message = backend.await(ofClient(clientId).and(type("message")), 1).get(0);
            assertThat(message.path("transport").asString()).isEqualTo("sse");
            assertThat(message.path("event").asString()).isEqualTo("typing");
            assertThat(message.path("data").asBoolean()).isTrue();
        }

        String pollUid = TestSecrets.uniqueUid("events-poll");
        PollTestClient poller = new PollTestClient(port, TestSecrets.token(pollUid));
        poller.poll();
        String pollClient = poller.clientId();
        assertThat(poller.command("send", "{\"clientId\":\"" + pollClient + "\",\"data\":{\"a\":1}}").status()).isEqualTo(200);
        assertThat(poller.command("rpc", "{\"clientId\":\"" + pollClient + "\",\"method\":\"m\",\"data\":2}").json()
                .path("data").toString()).isEqualTo("{\"echo\":2}");
        JsonNode message = backend.await(ofClient(pollClient).and(type("message")), 1).get(0);
        assertThat(message.path("event").asString()).as("a send without an event").isEqualTo("message");
        assertThat(message.path("transport").asString()).isEqualTo("long-poll");
        assertThat(backend.matching(ofClient(pollClient).and(type("connect")))).hasSize(1);
    }

    @Test
    void aSocketIoEventWithACallbackIsACallAnsweredThroughTheCallback() {
        String uid = TestSecrets.uniqueUid("events-sio-call");
        String options = "{\"transports\":[\"websocket\"],\"auth\":{\"token\":\"" + TestSecrets.token(uid)
                + "\"},\"call\":[\"cart.add\",{\"sku\":42}]}";
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, options)) {
            JsonNode ack = client.awaitField("ack").path("ack");
            assertThat(ack.path("ok").asBoolean()).isTrue();
            assertThat(ack.path("data").toString()).isEqualTo("{\"echo\":{\"sku\":42}}");
        }
        JsonNode call = backend.calls().stream().filter(c -> uid.equals(c.body().path("uid").asString())).findFirst().orElseThrow().body();
        assertThat(call.path("method").asString()).isEqualTo("cart.add");
        assertThat(call.path("transport").asString()).isEqualTo("socket.io");
        assertThat(backend.matching(ofUid(uid).and(type("message")))).as("a call is not also a message").isEmpty();
    }

    @Test
    void aSocketIoClientsEventsBecomeMessagesNamedAfterThem() {
        String uid = TestSecrets.uniqueUid("events-sio");
        String options = "{\"transports\":[\"websocket\"],\"auth\":{\"token\":\"" + TestSecrets.token(uid)
                + "\"},\"emit\":[\"chat\",{\"text\":\"hello\"},7]}";
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, options)) {
            client.awaitField("connect");
            JsonNode message = backend.await(ofUid(uid).and(type("message")), 1).get(0);
            assertThat(message.path("event").asString()).isEqualTo("chat");
            assertThat(message.path("transport").asString()).isEqualTo("socket.io");
            assertThat(message.path("data").toString()).as("several arguments arrive as an array")
                    .isEqualTo("[{\"text\":\"hello\"},7]");
        }
        backend.await(ofUid(uid).and(type("disconnect")), 1);
    }

    @Test
    void aWorkermanPagesFramesAfterItsUidAreMessagesAsGatewayWorkersOnMessageHadThem() {
        String uid = TestSecrets.uniqueUid("events-wm");
        try (WsTestClient page = WsTestClient.connect(java.net.URI.create("ws://localhost:" + port + "/compat/workerman"))) {
            page.send(uid);
            backend.await(ofUid(uid).and(type("connect")), 1);
            page.send("hello \"there\"");
            JsonNode message = backend.await(ofUid(uid).and(type("message")), 1).get(0);
            assertThat(message.path("transport").asString()).isEqualTo("workerman");
            assertThat(message.path("event").asString()).isEqualTo("message");
            assertThat(message.path("data").asString()).as("the text as a JSON string").isEqualTo("hello \"there\"");
        }
        backend.await(ofUid(uid).and(type("offline")), 1);
    }

    @Test
    void callsThatFailOrTimeOutOrCarryNoRefAreClearErrors() {
        String uid = TestSecrets.uniqueUid("events-rpc");
        try (WsTestClient ws = ws(uid)) {
            backend.answerCalls(call -> switch (call.path("method").asString()) {
                case "broken" -> new TestBackend.Answer(500, "{}");
                case "slow" -> {
                    try {
                        Thread.sleep(3000); // the backend is slow: longer than the 1 s rpc timeout
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    yield new TestBackend.Answer(200, "1");
                }
                case "text" -> new TestBackend.Answer(200, "not json");
                default -> new TestBackend.Answer(200, "");
            });
            ws.send("{\"type\":\"rpc\",\"method\":\"broken\",\"ref\":1}");
            assertError(ws.nextOfType("reply"), 1, "rpc_failed");
            ws.send("{\"type\":\"rpc\",\"method\":\"slow\",\"ref\":2}");
            assertError(ws.nextOfType("reply"), 2, "rpc_timeout");
            ws.send("{\"type\":\"rpc\",\"method\":\"text\",\"ref\":3}");
            assertError(ws.nextOfType("reply"), 3, "rpc_failed");
            ws.send("{\"type\":\"rpc\",\"method\":\"empty\",\"ref\":4}");
            JsonNode empty = ws.nextOfType("reply");
            assertThat(empty.path("ok").asBoolean()).isTrue();
            assertThat(empty.path("data").isNull()).as("an empty answer is null").isTrue();
            ws.send("{\"type\":\"rpc\",\"method\":\"no ref\"}");
            JsonNode noRef = ws.nextOfType("reply");
            assertThat(noRef.has("ref")).isFalse();
            assertThat(noRef.path("error").path("code").asString()).isEqualTo("bad_frame");
            ws.send("{\"type\":\"rpc\",\"method\":\"bad name\",\"ref\":5}");
            assertError(ws.nextOfType("reply"), 5, "bad_frame");
        } finally {
            backend.answerCalls(call -> new TestBackend.Answer(200, "{\"echo\":" + call.path("data") + "}"));
        }
    }

    @Test
    void aBackendThatIsDownNeverSlowsDeliveryAndGetsItsEventsWhenItReturns() {
        String uid = TestSecrets.uniqueUid("events-down");
        Api api = new Api(port);
        backend.down(true);
        int refusedBefore = backend.refusedBatches();
        String clientId;
        try (WsTestClient ws = ws(uid)) {
            clientId = api.get("/api/v1/uids/" + uid).path("clientIds").get(0).asString();
            long up = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos(); // down for 10 s, as in a deploy
            for (int i = 0; System.nanoTime() < up; i++) {
                long sent = System.nanoTime();
                api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":" + i + "}");
                assertThat(ws.nextOfType("message").path("data").asInt()).as("delivered while the backend is down").isEqualTo(i);
                assertThat(System.nanoTime() - sent).as("no slower for it").isLessThan(java.time.Duration.ofSeconds(2).toNanos());
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000); // paces the publishes: 20 a second, not a wait for anything
            }
            ws.send("{\"type\":\"send\",\"data\":\"while down\",\"ref\":1}");
            ws.nextOfType("reply");
            org.awaitility.Awaitility.await().until(() -> backend.refusedBatches() >= refusedBefore + 3); // retried, and retried again
            assertThat(backend.matching(ofClient(clientId))).as("nothing accepted while down").isEmpty();
        }
        backend.down(false);
        List<String> types = backend.await(ofClient(clientId).and(type("disconnect")), 1).isEmpty() ? List.of()
                : backend.matching(ofClient(clientId)).stream().map(e -> e.path("type").asString()).toList();
        assertThat(types).containsExactly("connect", "online", "message", "disconnect", "offline");
    }

    private static void assertError(JsonNode reply, int ref, String code) {
        assertThat(reply.path("ref").asInt()).isEqualTo(ref);
        assertThat(reply.path("ok").asBoolean()).isFalse();
        assertThat(reply.path("error").path("code").asString()).isEqualTo(code);
    }

    private WsTestClient ws(String uid) {
        WsTestClient client = WsTestClient.connect(new Api(port).ws("token=" + TestSecrets.token(uid)));
        client.nextOfType("welcome");
        return client;
    }
}
