package io.pushgate.security;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.PushNode;
import io.pushgate.support.Api;
import io.pushgate.support.ConnectBackend;
import io.pushgate.support.NodeSocketIoClient;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.WsTestClient;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The connect proxy ({@code pushgate.auth.connect-url}) against a real backend over HTTP
 * ({@link ConnectBackend}), which checks every request's signature and answers by the token:
 * {@code ok.<uid>} admits {@code <uid>} in group {@code room-x} with session data, {@code gated.<uid>} too
 * but only once the test opens the gate, {@code deny…} 401, {@code forbid…} 403, {@code boom…} 500,
 * {@code nouid…} a 200 without uid, {@code bigdata…} a 200 with 5 KB of data, {@code slow…} no answer
 * until the gate opens; no token and the cookie {@code sid=<uid>} admits {@code <uid>}.
 */
@PushgateIntegrationTest
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "pushgate.events.secret=" + ConnectBackend.SECRET,
        "pushgate.auth.connect-timeout=2s",
        "pushgate.auth.connect-max-in-flight=2",
        "pushgate.compat.socket-io.enabled=true"
})
class ConnectProxyTests {

    static final ConnectBackend BACKEND = new ConnectBackend(ConnectProxyTests::answer);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @DynamicPropertySource
    static void backend(DynamicPropertyRegistry registry) {
        registry.add("pushgate.auth.connect-url", BACKEND::url);
    }

    @AfterAll
    static void stopBackend() {
        BACKEND.close();
    }

    static ConnectBackend.Answer answer(JsonNode request) {
        String token = request.path("token").isString() ? request.path("token").asString() : null;
        if (token == null) {
            JsonNode cookies = request.path("headers").path("cookie");
            String cookie = cookies.isString() ? cookies.asString() : "";
            for (String pair : cookie.split(";\\s*")) {
                if (pair.startsWith("sid=")) {
                    return admit(pair.substring(4), false);
                }
            }
            return ConnectBackend.Answer.of(401, "{}");
        }
        if (token.startsWith("ok.")) {
            return admit(token.substring(3), false);
        }
        if (token.startsWith("gated.")) {
            return admit(token.substring(6), true);
        }
        if (token.startsWith("forbid")) {
            return ConnectBackend.Answer.of(403, "{\"error\":\"no\"}");
        }
        if (token.startsWith("boom")) {
            return ConnectBackend.Answer.of(500, "{\"error\":\"database down\"}");
        }
        if (token.startsWith("nouid")) {
            return ConnectBackend.Answer.of(200, "{\"groups\":[\"room-x\"]}");
        }
        if (token.startsWith("bigdata")) {
            return ConnectBackend.Answer.of(200, "{\"uid\":\"big\",\"data\":{\"blob\":\"" + "x".repeat(5000) + "\"}}");
        }
        if (token.startsWith("huge")) {
            return ConnectBackend.Answer.of(200, "{\"uid\":\"huge\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
        }
        if (token.startsWith("slow")) {
            return new ConnectBackend.Answer(200, "{\"uid\":\"slow\"}", true);
        }
        return ConnectBackend.Answer.of(401, "{\"error\":\"unknown token\"}");
    }

    private static ConnectBackend.Answer admit(String uid, boolean gated) {
        return new ConnectBackend.Answer(200, "{\"uid\":\"" + uid + "\",\"groups\":[\"room-x\"],\"publish\":[\"room-x\"],"
                + "\"data\":{\"plan\":\"gold\"}}", gated);
    }

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @AfterEach
    void openTheGate() {
        BACKEND.open();
    }

    @Test
    void aWebSocketWithATokenTheBackendTakesIsWelcomedAsItsUidAndReceivesWhatIsPublishedToIt() {
        String uid = uniqueUid("proxied");
        String token = "ok." + uid;
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + encode(token) + "&room=7"))) {
            JsonNode welcome = ws.nextOfType("welcome");
            assertThat(welcome.path("uid").asString()).isEqualTo(uid);
            assertThat(welcome.path("groups").valueStream().map(JsonNode::asString)).containsExactly("room-x");

            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"hello\",\"data\":{\"n\":1}}");
            JsonNode message = ws.nextMessage();
            assertThat(message.path("event").asString()).isEqualTo("hello");
            assertThat(message.path("data").path("n").asInt()).isEqualTo(1);
        }
        List<JsonNode> asked = BACKEND.requestsWithToken(token);
        assertThat(asked).hasSize(1);
        JsonNode request = asked.get(0);
        assertThat(request.path("transport").asString()).isEqualTo("ws");
        assertThat(request.path("remoteAddress").asString()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(request.path("query").path("room").asString()).isEqualTo("7");
        assertThat(request.path("query").has("token")).isFalse();
        assertThat(request.path("headers").path("user-agent").asString()).isNotEmpty();
        assertThat(BACKEND.badSignatures()).isZero();
    }

    @Test
    void everyHandshakeCarrierReachesTheBackend() {
        String header = uniqueUid("header");
        try (WsTestClient ws = WsTestClient.connect(api.ws(""), Map.of("Authorization", "Bearer ok." + header), List.of())) {
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(header);
        }
        String protocol = uniqueUid("protocol");
        try (WsTestClient ws = WsTestClient.connect(api.ws(""), Map.of(), List.of("bearer", "ok." + protocol))) {
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(protocol);
            assertThat(ws.subprotocol()).isEqualTo("bearer");
        }
    }

    @Test
    void tokensTheBackendRefusesGetItsStatusBeforeTheUpgrade() {
        assertThatExceptionOfType(WsTestClient.HandshakeRefused.class)
                .isThrownBy(() -> WsTestClient.connect(api.ws("token=deny")).close())
                .satisfies(refused -> {
                    assertThat(refused.status).isEqualTo(401);
                    assertThat(refused.body).contains("urn:pushgate:problem:connect-refused");
                });
        assertThatExceptionOfType(WsTestClient.HandshakeRefused.class)
                .isThrownBy(() -> WsTestClient.connect(api.ws("token=forbid")).close())
                .satisfies(refused -> assertThat(refused.status).isEqualTo(403));
    }

    @Autowired
    PushNode node;

    @Test
    void refusalsAreCountedAsAuthFailuresByWhoseTheyAre() {
        long refused = node.meters().authFailures(InvalidTokenException.Reason.BACKEND_REFUSED);
        long unavailable = node.meters().authFailures(InvalidTokenException.Reason.BACKEND_UNAVAILABLE);
        long malformed = node.meters().authFailures(InvalidTokenException.Reason.MALFORMED);
        assertThat(get("/poll?token=deny").statusCode()).isEqualTo(401);
        assertThat(get("/sse?token=forbid").statusCode()).isEqualTo(403);
        assertThat(get("/poll?token=boom").statusCode()).isEqualTo(503);
        assertThat(node.meters().authFailures(InvalidTokenException.Reason.BACKEND_REFUSED) - refused).isEqualTo(2);
        assertThat(node.meters().authFailures(InvalidTokenException.Reason.BACKEND_UNAVAILABLE) - unavailable).isEqualTo(1);
        // not a JWT is no failure of its own when the backend is asked
        assertThat(node.meters().authFailures(InvalidTokenException.Reason.MALFORMED) - malformed).isZero();
    }

    @Test
    void aBackendErrorIs503AndAnAnswerThatIsNotValidIs502() {
        assertThat(get("/poll?token=boom").statusCode()).isEqualTo(503);
        assertThat(get("/poll?token=nouid").statusCode()).isEqualTo(502);
        HttpResponse<String> tooBig = get("/poll?token=bigdata");
        assertThat(tooBig.statusCode()).isEqualTo(502);
        assertThat(tooBig.body()).contains("urn:pushgate:problem:backend-bad-answer");
        assertThat(get("/poll?token=huge").statusCode()).as("an answer over 64 KiB").isEqualTo(502);
    }

    @Test
    void aSlowBackendIs503OnceTheTimeoutHasPassed() {
        long started = System.nanoTime();
        assertThatExceptionOfType(WsTestClient.HandshakeRefused.class)
                .isThrownBy(() -> WsTestClient.connect(api.ws("token=slow-" + UUID.randomUUID())).close())
                .satisfies(refused -> {
                    assertThat(refused.status).isEqualTo(503);
                    assertThat(refused.body).contains("urn:pushgate:problem:backend-unavailable");
                });
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(6)); // the 2 s timeout, not the backend's 30 s
    }

    @Test
    void pastTheLimitOfCallsInFlightAConnectIs503AtOnceWithoutAskingTheBackend() {
        String first = "gated." + uniqueUid("inflight");
        String second = "gated." + uniqueUid("inflight");
        CompletableFuture<HttpResponse<String>> a = getAsync("/poll?token=" + encode(first));
        CompletableFuture<HttpResponse<String>> b = getAsync("/poll?token=" + encode(second));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                BACKEND.requestsWithToken(first).size() == 1 && BACKEND.requestsWithToken(second).size() == 1);

        String third = "ok." + uniqueUid("third");
        assertThat(get("/poll?token=" + encode(third)).statusCode()).isEqualTo(503);
        assertThat(BACKEND.requestsWithToken(third)).isEmpty();

        BACKEND.open();
        assertThat(a.orTimeout(10, TimeUnit.SECONDS).join().statusCode()).isEqualTo(200);
        assertThat(b.orTimeout(10, TimeUnit.SECONDS).join().statusCode()).isEqualTo(200);
        assertThat(get("/poll?token=" + encode(third)).statusCode()).isEqualTo(200);
    }

    @Test
    void aValidJwtNeverReachesTheBackend() {
        int before = BACKEND.requests().size();
        String uid = uniqueUid("jwt");
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            assertThat(sse.status()).isEqualTo(200);
        }
        assertThat(new PollTestClient(port, token(uid)).poll().status()).isEqualTo(200);
        try (WsTestClient ws = WsTestClient.connect(api.ws(""))) {
            ws.sendJson(Map.of("type", "auth", "token", token(uid)));
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
        assertThat(BACKEND.requests()).hasSize(before);
    }

    @Test
    void anEventStreamAndAPollAreAdmittedTheSameWay() {
        String uid = uniqueUid("sse-proxied");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + encode("ok." + uid))) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.nextEvent("welcome").json().path("uid").asString()).isEqualTo(uid);
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"hello\",\"data\":1}");
            assertThat(sse.nextMessage().event()).isEqualTo("hello");
        }
        assertThat(BACKEND.requestsWithToken("ok." + uid)).singleElement()
                .satisfies(r -> assertThat(r.path("transport").asString()).isEqualTo("sse"));

        String pollUid = uniqueUid("poll-proxied");
        PollTestClient poll = new PollTestClient(port, "ok." + pollUid);
        assertThat(poll.poll().status()).isEqualTo(200);
        api.publish("{\"to\":{\"uids\":[\"" + pollUid + "\"]},\"event\":\"hello\",\"data\":2}");
        assertThat(poll.pollMessages(1)).singleElement().satisfies(m -> assertThat(m.path("data").asInt()).isEqualTo(2));
        // a client command is authenticated the same way
        assertThat(poll.command("publish", "{\"group\":\"room-x\",\"event\":\"said\",\"data\":3}").status()).isEqualTo(200);
        assertThat(BACKEND.requestsWithToken("ok." + pollUid)).extracting(r -> r.path("transport").asString())
                .contains("poll", "client");

        try (SseTestClient refused = SseTestClient.open(port, "token=forbid")) {
            assertThat(refused.status()).isEqualTo(403);
        }
    }

    @Test
    void cookiesAloneAreJudgedByTheBackendWhenThePageMaySendThem() {
        String uid = uniqueUid("cookie");
        try (SseTestClient sse = SseTestClient.open(port, "", Map.of("Cookie", "sid=" + uid, "Sec-Fetch-Site", "same-origin"))) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.nextEvent("welcome").json().path("uid").asString()).isEqualTo(uid);
        }
        try (WsTestClient ws = WsTestClient.connect(api.ws(""), Map.of("Cookie", "sid=" + uid, "Origin", "http://localhost:" + port),
                List.of())) {
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
        // another site's page: its cookies are not passed on, and there is nothing else to judge
        int before = BACKEND.requests().size();
        try (SseTestClient sse = SseTestClient.open(port, "", Map.of("Cookie", "sid=" + uid, "Sec-Fetch-Site", "cross-site"))) {
            assertThat(sse.status()).isEqualTo(401);
        }
        assertThat(BACKEND.requests()).hasSize(before);
        // cookies the backend refuses on /ws: the client may still authenticate with an auth frame
        String later = uniqueUid("cookie-then-frame");
        try (WsTestClient ws = WsTestClient.connect(api.ws(""), Map.of("Cookie", "other=1", "Origin", "http://localhost:" + port),
                List.of())) {
            ws.sendJson(Map.of("type", "auth", "token", "ok." + later));
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(later);
        }
    }

    @Test
    void anAuthFrameWithATokenTheBackendTakesIsWelcomedAndFramesSentMeanwhileFollowInOrder() {
        String uid = uniqueUid("frame");
        String token = "gated." + uid;
        try (WsTestClient ws = WsTestClient.connect(api.ws("app=chat"))) {
            ws.sendJson(Map.of("type", "auth", "token", token, "ref", 1));
            ws.sendJson(Map.of("type", "ping", "ref", 2));
            ws.sendJson(Map.of("type", "leave", "group", "room-x", "ref", 3));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> BACKEND.requestsWithToken(token).size() == 1);
            BACKEND.open();

            JsonNode welcome = ws.next();
            assertThat(welcome.path("type").asString()).isEqualTo("welcome");
            assertThat(welcome.path("uid").asString()).isEqualTo(uid);
            assertThat(ws.next().path("ref").asLong()).isEqualTo(1);
            assertThat(ws.next().path("type").asString()).isEqualTo("pong");
            assertThat(ws.next().path("ref").asLong()).isEqualTo(2);
            JsonNode left = ws.next();
            assertThat(left.path("ref").asLong()).isEqualTo(3);
            assertThat(left.path("ok").asBoolean()).isTrue();
        }
        JsonNode request = BACKEND.requestsWithToken(token).get(0);
        assertThat(request.path("transport").asString()).isEqualTo("ws");
        assertThat(request.path("query").path("app").asString()).isEqualTo("chat");
    }

    @Test
    void anAuthFrameTheBackendRefusesClosesWithItsCode() {
        try (WsTestClient ws = WsTestClient.connect(api.ws(""))) {
            ws.sendJson(Map.of("type", "auth", "token", "deny"));
            assertThat(ws.awaitClose().code()).isEqualTo(4401);
        }
        try (WsTestClient ws = WsTestClient.connect(api.ws(""))) {
            ws.sendJson(Map.of("type", "auth", "token", "forbid"));
            assertThat(ws.awaitClose().code()).isEqualTo(4403);
        }
        try (WsTestClient ws = WsTestClient.connect(api.ws(""))) {
            ws.sendJson(Map.of("type", "auth", "token", "boom"));
            assertThat(ws.awaitClose().code()).isEqualTo(1013);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polling", "websocket"})
    void aSocketIoClientWithAnAuthTokenTheBackendTakesJoinsAsItsUid(String transport) {
        String uid = uniqueUid("sio-proxied");
        String options = "{\"transports\":[\"" + transport + "\"],\"auth\":{\"token\":\"ok." + uid + "\"}}";
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, options)) {
            client.awaitField("connect");
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"new_msg\",\"data\":\"hi\"}");
            assertThat(client.awaitEvent("new_msg").path("args").toString()).isEqualTo("[\"hi\"]");
        }
        assertThat(BACKEND.requestsWithToken("ok." + uid)).singleElement()
                .satisfies(r -> assertThat(r.path("transport").asString()).isEqualTo("socketio"));
    }

    @Test
    void aSocketIoClientTheBackendRefusesGetsAConnectError() {
        try (NodeSocketIoClient client = NodeSocketIoClient.start(port, "{\"auth\":{\"token\":\"forbid\"}}")) {
            assertThat(client.awaitField("connect_error").path("connect_error").asString())
                    .isEqualTo("the backend forbids this connection");
        }
    }

    @Test
    void theTokenIsNeverLogged(CapturedOutput output) {
        String secret = UUID.randomUUID().toString();
        assertThat(get("/poll?token=boom-" + secret).statusCode()).isEqualTo(503);
        assertThat(get("/poll?token=nouid-" + secret).statusCode()).isEqualTo(502);
        assertThat(get("/poll?token=deny-" + secret).statusCode()).isEqualTo(401);
        try (WsTestClient ws = WsTestClient.connect(api.ws(""))) {
            ws.sendJson(Map.of("type", "auth", "token", "boom-" + secret));
            assertThat(ws.awaitClose().code()).isEqualTo(1013);
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(output.getAll())
                .contains("connect proxy: the backend answered 500")
                .contains("connect proxy: the backend's 200 answer is not valid (no uid"));
        assertThat(output.getAll()).doesNotContain(secret);
    }

    private HttpResponse<String> get(String pathAndQuery) {
        return send(port, pathAndQuery);
    }

    private static HttpResponse<String> send(int port, String pathAndQuery) {
        return getAsync(port, pathAndQuery).orTimeout(15, TimeUnit.SECONDS).join();
    }

    private CompletableFuture<HttpResponse<String>> getAsync(String pathAndQuery) {
        return getAsync(port, pathAndQuery);
    }

    private static CompletableFuture<HttpResponse<String>> getAsync(int port, String pathAndQuery) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + pathAndQuery)).GET().build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
