package io.pushgate.php;

import io.pushgate.client.PushgateServer;
import io.pushgate.client.WsClient;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.pushgate.php.Php.list;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * Every operation of {@code clients/php/Pushgate.php}, made by php against the packaged server and
 * checked by its effect on real WebSocket sessions (opened here, since PHP has no WebSocket client
 * at hand), not by the answer alone.
 *
 * <p>Skipped when php with the curl extension is missing, except under CI ({@code CI=true}), where
 * that fails: CI must run them.
 */
class PhpClientIT {

    static PushgateServer server;
    static Php php;
    /** Why php cannot run here, or null: each test is then skipped, so the report counts them. */
    static String unusable;

    final List<WsClient> sessions = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        unusable = Php.unusable();
        if (unusable != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("the PHP client's tests must run under CI, but " + unusable);
            }
            return;
        }
        server = PushgateServer.start();
        php = new Php(server.url(), PushgateServer.API_KEY);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void phpRunsAndNoUidIsOnline() {
        Assumptions.assumeTrue(unusable == null, () -> "PHP client tests skipped: " + unusable);
        // sessions of the previous test are closed in @AfterEach; the server forgets them asynchronously
        await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(0).equals(php.gateway("getAllUidCount")));
    }

    @AfterEach
    void closeSessions() {
        sessions.forEach(WsClient::close);
    }

    /** A session whose token PHP's {@code Token::sign} made. */
    WsClient connect(String uid, List<String> groups) throws Exception {
        WsClient client = WsClient.connect(server.port, sign(uid, groups, PushgateServer.JWT_SECRET));
        sessions.add(client);
        return client;
    }

    static String sign(Object uid, List<String> groups, String secret) throws Exception {
        return (String) php.result("Token", "sign", uid, 300, groups, list(), secret);
    }

    static String uid() {
        return "u-" + UUID.randomUUID();
    }

    /** Sends a marker to everyone: the next message a session receives after what it must not have got. */
    static void marker() throws Exception {
        php.gateway("sendToAll", "marker", null, null, "marker");
    }

    // ---- publish -----------------------------------------------------------------------------------

    @Test
    void sendToUidReachesEverySessionOfThatUidOnlyAsTheDefaultMessageEvent() throws Exception {
        String uid = uid();
        WsClient a = connect(uid, List.of());
        WsClient b = connect(uid, List.of());
        WsClient other = connect(uid(), List.of());

        Map<String, Object> answer = php.publishAnswer("sendToUid", uid, Map.of("text", "hello"));

        assertThat(answer.get("sessions")).isEqualTo(2);
        assertThat(answer.get("online")).isEqualTo(List.of(uid));
        assertThat(answer.get("id")).isInstanceOf(String.class);
        for (WsClient client : List.of(a, b)) {
            Map<String, Object> message = client.nextMessage();
            assertThat(message.get("event")).isEqualTo("message");
            assertThat(message.get("data")).isEqualTo(Map.of("text", "hello"));
        }
        marker();
        assertThat(other.nextMessage().get("event")).isEqualTo("marker");

        assertThat(php.publishAnswer("sendToUid", uid(), "x").get("offline")).asList().hasSize(1);
    }

    @Test
    void theMessageIsTheDataAsJsonAndTheLastArgumentTheEvent() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());

        php.gateway("sendToUid", uid, "{\"type\":\"say\"}", "new_msg"); // a string stays a string, JSON or not
        php.gateway("sendToUid", uid, list(1, "two", true, null));
        php.gateway("sendToUid", uid, Map.of("nested", Map.of("list", list(1.5))));
        php.gateway("sendToUid", uid, 42, true); // GatewayClient's $raw flag: ignored

        Map<String, Object> first = client.nextMessage();
        assertThat(first.get("event")).isEqualTo("new_msg");
        assertThat(first.get("data")).isEqualTo("{\"type\":\"say\"}");
        assertThat(client.nextMessage().get("data")).isEqualTo(list(1L, "two", true, null)); // integers read as Long (the Java client's Json)
        assertThat(client.nextMessage().get("data")).hasToString("{nested={list=[1.5]}}"); // 1.5 read as the Java client's Json reads it
        Map<String, Object> raw = client.nextMessage();
        assertThat(raw.get("event")).isEqualTo("message");
        assertThat(raw.get("data")).isEqualTo(42L);
    }

    @Test
    void sendToGroupReachesTheMembersExceptTheExcludedClient() throws Exception {
        WsClient a = connect(uid(), List.of("room-1"));
        WsClient b = connect(uid(), List.of("room-1"));
        WsClient outsider = connect(uid(), List.of("room-2"));

        assertThat(php.publishAnswer("sendToGroup", "room-1", "hi room").get("sessions")).isEqualTo(2);
        assertThat(a.nextMessage().get("data")).isEqualTo("hi room");
        assertThat(b.nextMessage().get("data")).isEqualTo("hi room");

        assertThat(php.publishAnswer("sendToGroup", "room-1", "not b", b.clientId(), "chat").get("sessions")).isEqualTo(1);
        Map<String, Object> message = a.nextMessage();
        assertThat(message.get("event")).isEqualTo("chat");
        assertThat(message.get("data")).isEqualTo("not b");

        marker();
        assertThat(b.nextMessage().get("event")).isEqualTo("marker");
        assertThat(outsider.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void sendToAllReachesEverySessionOrTheListedClientsLessTheExcluded() throws Exception {
        WsClient a = connect(uid(), List.of());
        WsClient b = connect(uid(), List.of("g"));
        WsClient c = connect(uid(), List.of());

        assertThat(php.publishAnswer("sendToAll", "everyone").get("sessions")).isEqualTo(3);
        for (WsClient client : List.of(a, b, c)) {
            assertThat(client.nextMessage().get("data")).isEqualTo("everyone");
        }

        assertThat(php.publishAnswer("sendToAll", "a only", list(a.clientId(), b.clientId()), list(b.clientId())).get("sessions"))
                .isEqualTo(1);
        assertThat(a.nextMessage().get("data")).isEqualTo("a only");
        assertThat(php.publishAnswer("sendToAll", "nobody", list()).get("sessions")).as("an empty list reaches nobody").isEqualTo(0);
        marker();
        assertThat(a.nextMessage().get("event")).isEqualTo("marker");
        assertThat(b.nextMessage().get("event")).isEqualTo("marker");
        assertThat(c.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void sendToClientReachesThatConnectionOnly() throws Exception {
        String uid = uid();
        WsClient a = connect(uid, List.of());
        WsClient b = connect(uid, List.of());

        assertThat(php.publishAnswer("sendToClient", b.clientId(), Map.of("n", 1), "only-b").get("sessions")).isEqualTo(1);

        Map<String, Object> message = b.nextMessage();
        assertThat(message.get("event")).isEqualTo("only-b");
        assertThat(message.get("data")).isEqualTo(Map.of("n", 1L));
        marker();
        assertThat(a.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void publishTakesTheWholeBodyAndAnIdempotencyKeyDeliversOnce() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());
        WsClient excluded = connect(uid, List.of());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("to", Map.of("uids", list(uid)));
        body.put("event", "order_paid");
        body.put("data", Map.of("order", 9001));
        body.put("ttl", 60);
        body.put("exclude", Map.of("clients", list(excluded.clientId())));
        String key = "order-" + UUID.randomUUID();

        Map<String, Object> first = php.publishAnswer("publish", body, key);
        Map<String, Object> again = php.publishAnswer("publish", body, key);

        assertThat(first.get("sessions")).isEqualTo(1);
        assertThat(first).doesNotContainKey("duplicate");
        assertThat(again.get("duplicate")).isEqualTo(true);
        assertThat(again.get("id")).isEqualTo(first.get("id"));
        Map<String, Object> message = client.nextMessage();
        assertThat(message.get("event")).isEqualTo("order_paid");
        assertThat(message.get("data")).isEqualTo(Map.of("order", 9001L));
        marker();
        assertThat(client.nextMessage().get("event")).as("no second delivery").isEqualTo("marker");
        assertThat(excluded.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    @SuppressWarnings("unchecked")
    void publishBatchDeliversEveryItemInOrderAndKeysPerItem() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of("batch-group"));
        String key = "batch-" + UUID.randomUUID();
        List<Object> batch = list(
                Map.of("to", Map.of("uids", list(uid)), "event", "first", "data", 1),
                Map.of("to", Map.of("groups", list("batch-group")), "event", "second", "data", 2, "idempotencyKey", key));

        List<Map<String, Object>> answers = (List<Map<String, Object>>) php.gateway("publishBatch", batch);
        List<Map<String, Object>> repeated = (List<Map<String, Object>>) php.gateway("publishBatch", list(batch.get(1)));

        assertThat(answers).hasSize(2).allSatisfy(answer -> assertThat(answer.get("sessions")).isEqualTo(1));
        assertThat(repeated.get(0).get("duplicate")).isEqualTo(true);
        assertThat(client.nextMessage().get("event")).isEqualTo("first");
        assertThat(client.nextMessage().get("event")).isEqualTo("second");
        marker();
        assertThat(client.nextMessage().get("event")).as("the keyed item once").isEqualTo("marker");
    }

    @Test
    void aBadBatchItemPublishesNothingAndThrowsBadRequest() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());

        Map<String, Object> e = php.call("Gateway", "publishBatch", list(
                Map.of("to", Map.of("uids", list(uid)), "event", "never"),
                Map.of("to", Map.of("uid", list(uid))))).exception();

        assertThat(e.get("class")).isEqualTo("Pushgate\\Exception");
        assertThat(e.get("status")).isEqualTo(400);
        assertThat(e.get("type")).isEqualTo("urn:pushgate:problem:bad-request");
        assertThat((String) e.get("detail")).contains("uid");
        marker();
        assertThat(client.nextMessage().get("event")).isEqualTo("marker");
    }

    // ---- presence, groups, connections -------------------------------------------------------------

    @Test
    void presenceFollowsConnectsAndCloseClient() throws Exception {
        String uid = uid();
        assertThat(php.gateway("isUidOnline", uid)).isEqualTo(0);
        assertThat(php.gateway("getClientIdByUid", uid)).isEqualTo(List.of());

        WsClient a = connect(uid, List.of());
        WsClient b = connect(uid, List.of());
        connect(uid(), List.of());

        assertThat(php.gateway("isUidOnline", uid)).as("an int, as GatewayClient answers").isEqualTo(1);
        assertThat(php.gateway("getClientIdByUid", uid)).asList().containsExactlyInAnyOrder(a.clientId(), b.clientId());
        assertThat(php.gateway("getAllUidCount")).isEqualTo(2);

        assertThat(php.gateway("closeClient", a.clientId())).isEqualTo(true);
        assertThat(a.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4403);
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of(b.clientId()).equals(php.gateway("getClientIdByUid", uid)));
        assertThat(php.gateway("isUidOnline", uid)).isEqualTo(1);

        assertThat(php.gateway("closeClient", b.clientId())).isEqualTo(true);
        assertThat(b.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4403);
        await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(0).equals(php.gateway("isUidOnline", uid)));
        assertThat(php.gateway("getAllUidCount")).isEqualTo(1);

        assertThat(php.gateway("closeClient", b.clientId())).as("already closed: false, as GatewayClient").isEqualTo(false);
    }

    @Test
    void closeClientWithAMessageSendsItFirst() throws Exception {
        WsClient client = connect(uid(), List.of());

        assertThat(php.gateway("closeClient", client.clientId(), "bye")).isEqualTo(true);

        assertThat(client.nextMessage().get("data")).isEqualTo("bye");
        assertThat(client.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4403);
    }

    @Test
    void joinGroupAndLeaveGroupChangeWhatAConnectionReceives() throws Exception {
        WsClient client = connect(uid(), List.of());

        assertThat(php.gateway("joinGroup", client.clientId(), "joined")).isEqualTo(true);
        assertThat(php.publishAnswer("sendToGroup", "joined", 1, null, "in").get("sessions")).isEqualTo(1);
        assertThat(client.nextMessage().get("event")).isEqualTo("in");

        assertThat(php.gateway("leaveGroup", client.clientId(), "joined")).isEqualTo(true);
        assertThat(php.publishAnswer("sendToGroup", "joined", 2, null, "out").get("sessions")).isEqualTo(0);
        marker();
        assertThat(client.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void joinGroupOfAConnectionThatIsNotOpenThrowsClientNotFound() throws Exception {
        Map<String, Object> e = php.call("Gateway", "joinGroup", "no-such-client", "g").exception();

        assertThat(e.get("class")).isEqualTo("Pushgate\\Exception");
        assertThat(e.get("status")).isEqualTo(404);
        assertThat(e.get("type")).isEqualTo("urn:pushgate:problem:client-not-found");
        assertThat(e.get("slug")).isEqualTo("client-not-found");
    }

    // ---- session data (GET|PUT|PATCH /api/v1/clients/{id}/data) -----------------------------------------

    @Test
    void setSessionReplacesTheSessionDataAndGetSessionReadsIt() throws Exception {
        WsClient client = connect(uid(), List.of());
        assertThat((Map<?, ?>) asMap(php.gateway("getSession", client.clientId()))).as("none set yet").isEmpty();

        assertThat(php.gateway("setSession", client.clientId(), Map.of("a", 1, "b", Map.of("c", "d")))).isEqualTo(true);
        assertThat(php.gateway("getSession", client.clientId())).isEqualTo(Map.of("a", 1, "b", Map.of("c", "d")));

        assertThat(php.gateway("setSession", client.clientId(), Map.of("x", "y"))).isEqualTo(true);
        assertThat(php.gateway("getSession", client.clientId())).as("replaced, not merged").isEqualTo(Map.of("x", "y"));

        assertThat(php.gateway("setSession", client.clientId(), Map.of())).as("an empty array is sent as {}").isEqualTo(true);
        assertThat(asMap(php.gateway("getSession", client.clientId()))).isEmpty();
    }

    @Test
    void updateSessionMergesTopLevelKeysAndANullRemovesOne() throws Exception {
        WsClient client = connect(uid(), List.of());
        php.gateway("setSession", client.clientId(), Map.of("a", 1, "b", 2, "nested", Map.of("k", 1)));

        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("b", null);
        patch.put("c", 3);
        patch.put("nested", Map.of("other", 2));
        assertThat(php.gateway("updateSession", client.clientId(), patch)).isEqualTo(true);

        assertThat(php.gateway("getSession", client.clientId()))
                .isEqualTo(Map.of("a", 1, "c", 3, "nested", Map.of("other", 2)));
    }

    @Test
    void sessionDataOfAConnectionThatIsNotOpen() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());
        php.gateway("closeClient", client.clientId());
        client.closeCode.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(0).equals(php.gateway("isUidOnline", uid)));

        assertThat(php.gateway("getSession", client.clientId())).as("null, as GatewayClient").isNull();
        assertThat(php.gateway("getSession", "no-such-client")).isNull();
        for (String method : List.of("setSession", "updateSession")) {
            Map<String, Object> e = php.call("Gateway", method, "no-such-client", Map.of("a", 1)).exception();
            assertThat(e.get("status")).as(method).isEqualTo(404);
            assertThat(e.get("type")).as(method).isEqualTo("urn:pushgate:problem:client-not-found");
        }
    }

    private static Map<?, ?> asMap(Object session) {
        // PHP's json_encode writes an empty array as [], so an empty session reads back as a list
        return session instanceof List<?> list && list.isEmpty() ? Map.of() : (Map<?, ?>) session;
    }

    // ---- errors ----------------------------------------------------------------------------------------

    @Test
    void refusedAndFailedCallsThrowPushgateExceptionWithStatusAndType() throws Exception {
        Map<String, Object> wrongKey = new Php(server.url(), "not-the-key").call("Gateway", "sendToAll", "x").exception();
        assertThat(wrongKey.get("class")).isEqualTo("Pushgate\\Exception");
        assertThat(wrongKey.get("status")).isEqualTo(401);
        assertThat(wrongKey.get("type")).isEqualTo("urn:pushgate:problem:invalid-api-key");
        assertThat(wrongKey.get("outcomeUnknown")).isEqualTo(false);

        Map<String, Object> badName = php.call("Gateway", "sendToUid", "has space", 1).exception();
        assertThat(badName.get("status")).isEqualTo(400);
        assertThat(badName.get("slug")).isEqualTo("bad-request");
        assertThat((String) badName.get("detail")).isNotBlank();

        // a port nothing listens on: no answer at all
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, Object> unreachable = new Php("http://127.0.0.1:" + closedPort, PushgateServer.API_KEY)
                .call("Gateway", "isUidOnline", "u").exception();
        assertThat(unreachable.get("status")).isEqualTo(0);
        assertThat(unreachable.get("type")).isEqualTo("urn:pushgate:client:connection-failed");
    }

    // ---- Token::sign -----------------------------------------------------------------------------------

    @Test
    void tokensFromTokenSignAreAcceptedWithTheDefaultKeyAndByKid() throws Exception {
        String uid = uid();
        WsClient byDefault = connect(uid, List.of("from-token"));
        assertThat(byDefault.welcome.get("uid")).isEqualTo(uid);
        assertThat(byDefault.welcome.get("groups")).isEqualTo(List.of("from-token"));
        assertThat(php.publishAnswer("sendToGroup", "from-token", "joined by the token").get("sessions")).isEqualTo(1);
        assertThat(byDefault.nextMessage().get("data")).isEqualTo("joined by the token");

        // an int uid, as PHP apps keep them, is the uid of its digits
        WsClient intUid = WsClient.connect(server.port, (String) php.result("Token", "sign", 4242, 60, list(), list(), PushgateServer.JWT_SECRET));
        sessions.add(intUid);
        assertThat(intUid.welcome.get("uid")).isEqualTo("4242");

        String kidUid = uid();
        WsClient byKid = WsClient.connect(server.port, (String) php.result("Token", "sign", kidUid, 60, list(), list(),
                PushgateServer.KID_SECRET, PushgateServer.KID));
        sessions.add(byKid);
        assertThat(byKid.welcome.get("uid")).isEqualTo(kidUid);

        // the rotated key without its kid is the wrong key for the default secret: refused
        String wrongKey = sign(uid(), List.of(), PushgateServer.KID_SECRET);
        assertThatThrownBy(() -> WsClient.connect(server.port, wrongKey))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));
    }

    @Test
    void tokenSignRefusesAShortSecret() throws Exception {
        Map<String, Object> e = php.call("Token", "sign", "u", 60, list(), list(), "too-short").exception();

        assertThat(e.get("class")).isEqualTo("InvalidArgumentException");
    }

    // ---- Events::verify, Events::parse -----------------------------------------------------------------

    static final String EVENTS_SECRET = "events-secret-0123456789";

    /** The signature as the server writes it, computed here with javax.crypto, apart from the PHP code. */
    static String v1(String secret, long t, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8)));
    }

    boolean verify(String body, String header, Object secret) throws Exception {
        return (Boolean) php.result("Events", "verify", body, header, secret);
    }

    @Test
    void eventsVerifyAcceptsAGoodSignatureOnly() throws Exception {
        String body = "{\"events\":[{\"id\":\"e1\",\"type\":\"connect\",\"uid\":\"42\",\"clientId\":\"c1\",\"node\":\"n1\",\"ts\":1,\"data\":{\"é\":1}}]}";
        long now = Instant.now().getEpochSecond();
        String good = "t=" + now + ",v1=" + v1(EVENTS_SECRET, now, body);

        assertThat(verify(body, good, EVENTS_SECRET)).isTrue();
        assertThat(verify(body.replace("42", "43"), good, EVENTS_SECRET)).as("tampered body").isFalse();
        assertThat(verify(body, good, "another-secret-0123456789")).as("wrong secret").isFalse();
        long stale = now - 400; // well past the default 300 s: php runs a moment later than this line
        assertThat(verify(body, "t=" + stale + ",v1=" + v1(EVENTS_SECRET, stale, body), EVENTS_SECRET)).as("stale t").isFalse();
        long future = now + 400;
        assertThat(verify(body, "t=" + future + ",v1=" + v1(EVENTS_SECRET, future, body), EVENTS_SECRET)).as("t too far ahead").isFalse();
        assertThat(verify(body, "t=" + (now + 1) + ",v1=" + v1(EVENTS_SECRET, now, body), EVENTS_SECRET)).as("t not the signed one").isFalse();
        assertThat(verify(body, "v1=" + v1(EVENTS_SECRET, now, body), EVENTS_SECRET)).as("no t").isFalse();
        assertThat(verify(body, "t=" + now, EVENTS_SECRET)).as("no v1").isFalse();
        assertThat(verify(body, null, EVENTS_SECRET)).as("no header").isFalse();
        assertThat(verify(body, "", EVENTS_SECRET)).isFalse();

        // secret rotation: the server signs with the old and the new secret, one v1 each
        String rotated = "t=" + now + ",v1=" + v1("old-secret-0123456789", now, body) + ", v1=" + v1(EVENTS_SECRET, now, body);
        assertThat(verify(body, rotated, EVENTS_SECRET)).isTrue();
        assertThat(verify(body, good, list("new-secret-0123456789", EVENTS_SECRET))).as("the backend's side of a rotation").isTrue();
        // a tolerance of its own
        assertThat((Boolean) php.result("Events", "verify", body, "t=" + stale + ",v1=" + v1(EVENTS_SECRET, stale, body), EVENTS_SECRET, 600))
                .isTrue();
    }

    @Test
    void eventsParseAnswersTheEvents() throws Exception {
        String body = "{\"events\":[{\"id\":\"e1\",\"type\":\"connect\",\"uid\":\"42\"},{\"id\":\"e2\",\"type\":\"disconnect\",\"uid\":\"42\"}]}";

        assertThat(php.result("Events", "parse", body)).isEqualTo(list(
                Map.of("id", "e1", "type", "connect", "uid", "42"),
                Map.of("id", "e2", "type", "disconnect", "uid", "42")));
        assertThat(php.call("Events", "parse", "[1]").exception().get("class")).isEqualTo("UnexpectedValueException");
    }
}
