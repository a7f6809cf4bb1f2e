package io.pushgate.client;

import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Every operation of {@link Pushgate} against the real server, each checked by its effect on
 * WebSocket sessions, not by the answer alone.
 */
class PushgateClientIT {

    static PushgateServer server;
    static Pushgate pushgate;

    final List<WsClient> sessions = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = PushgateServer.start();
        pushgate = Pushgate.builder().url(server.url()).apiKey(PushgateServer.API_KEY).build();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void noUidOnline() {
        // sessions of the previous test are closed in @AfterEach; the server forgets them asynchronously
        await().atMost(Duration.ofSeconds(10)).until(() -> pushgate.getAllUidCount() == 0);
    }

    @AfterEach
    void closeSessions() {
        sessions.forEach(WsClient::close);
    }

    WsClient connect(String uid, List<String> groups) throws Exception {
        WsClient client = WsClient.connect(server.port,
                ClientTokens.sign(PushgateServer.JWT_SECRET, uid, Duration.ofMinutes(5), groups, List.of()));
        sessions.add(client);
        return client;
    }

    static String uid() {
        return "u-" + UUID.randomUUID();
    }

    @Test
    void sendToUidReachesEverySessionOfThatUidOnly() throws Exception {
        String uid = uid();
        WsClient a = connect(uid, List.of());
        WsClient b = connect(uid, List.of());
        WsClient other = connect(uid(), List.of());

        PublishResult result = pushgate.sendToUid(uid, "new_msg", Map.of("text", "hello"));

        assertThat(result.sessions()).isEqualTo(2);
        assertThat(result.online()).containsExactly(uid);
        assertThat(result.duplicate()).isFalse();
        for (WsClient client : List.of(a, b)) {
            Map<String, Object> message = client.nextMessage();
            assertThat(message.get("event")).isEqualTo("new_msg");
            assertThat(message.get("data")).isEqualTo(Map.of("text", "hello"));
        }
        // the other uid got nothing: the next thing it receives is what is sent to all afterwards
        pushgate.sendToAll("marker", "after");
        assertThat(other.nextMessage().get("event")).isEqualTo("marker");

        assertThat(pushgate.sendToUid(uid(), "x", 1).offline()).hasSize(1);
    }

    @Test
    void sendToUidWithoutAnEventIsTheDefaultMessageEventAndRawJsonIsSentAsItIs() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());

        pushgate.sendToUid(uid, Json.raw("{\"n\":12345678901234567890,\"list\":[1,2]}"));

        Map<String, Object> message = client.nextMessage();
        assertThat(message.get("event")).isEqualTo("message");
        assertThat(message.get("data")).isEqualTo(Json.read("{\"n\":12345678901234567890,\"list\":[1,2]}"));
    }

    @Test
    void sendToGroupReachesTheGroupsMembersOnly() throws Exception {
        WsClient member = connect(uid(), List.of("room-1"));
        WsClient outsider = connect(uid(), List.of("room-2"));

        assertThat(pushgate.sendToGroup("room-1", "chat", "hi room").sessions()).isEqualTo(1);

        assertThat(member.nextMessage().get("data")).isEqualTo("hi room");
        pushgate.sendToAll("marker", null);
        assertThat(outsider.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void sendToAllReachesEverySession() throws Exception {
        WsClient a = connect(uid(), List.of());
        WsClient b = connect(uid(), List.of("g"));

        assertThat(pushgate.sendToAll(List.of(1, "two", true)).sessions()).isEqualTo(2);

        for (WsClient client : List.of(a, b)) {
            assertThat(client.nextMessage().get("data")).isEqualTo(List.of(1L, "two", true));
        }
    }

    @Test
    void sendToClientReachesThatConnectionOnly() throws Exception {
        String uid = uid();
        WsClient a = connect(uid, List.of());
        WsClient b = connect(uid, List.of());

        assertThat(pushgate.sendToClient(b.clientId(), "only-b", 1).sessions()).isEqualTo(1);

        assertThat(b.nextMessage().get("event")).isEqualTo("only-b");
        pushgate.sendToAll("marker", null);
        assertThat(a.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void joinGroupAndLeaveGroupChangeWhatAConnectionReceives() throws Exception {
        WsClient client = connect(uid(), List.of());

        pushgate.joinGroup(client.clientId(), "joined");
        assertThat(pushgate.sendToGroup("joined", "in", 1).sessions()).isEqualTo(1);
        assertThat(client.nextMessage().get("event")).isEqualTo("in");

        pushgate.leaveGroup(client.clientId(), "joined");
        assertThat(pushgate.sendToGroup("joined", "out", 2).sessions()).isZero();
        pushgate.sendToAll("marker", null);
        assertThat(client.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void joinGroupOfAConnectionThatIsNotOpenIsClientNotFound() {
        assertThatThrownBy(() -> pushgate.joinGroup("no-such-client", "g"))
                .isInstanceOfSatisfying(PushgateException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.type()).isEqualTo("urn:pushgate:problem:client-not-found");
                });
    }

    @Test
    void sessionDataIsSetMergedReadAndGoneWithTheConnection() throws Exception {
        WsClient client = connect(uid(), List.of());
        assertThat(pushgate.getSession(client.clientId())).as("none set yet").isEmpty();

        Map<String, Object> stored = pushgate.setSession(client.clientId(), Map.of("room", "7", "level", 3));
        assertThat(stored).containsEntry("room", "7").hasSize(2);
        java.util.Map<String, Object> patch = new java.util.HashMap<>();
        patch.put("room", null);
        patch.put("seen", true);
        assertThat(pushgate.updateSessionAsync(client.clientId(), patch).get(10, TimeUnit.SECONDS))
                .containsOnlyKeys("level", "seen").containsEntry("seen", true);
        assertThat(pushgate.getSession(client.clientId())).containsOnlyKeys("level", "seen");

        assertThatThrownBy(() -> pushgate.setSession(client.clientId(), Map.of("big", "x".repeat(5000))))
                .isInstanceOfSatisfying(PushgateException.class, e -> assertThat(e.status()).isEqualTo(413));

        assertThat(pushgate.closeClient(client.clientId())).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> pushgate.getSession(client.clientId()) == null);
        assertThatThrownBy(() -> pushgate.setSession(client.clientId(), Map.of()))
                .isInstanceOfSatisfying(PushgateException.class, e -> assertThat(e.slug()).isEqualTo("client-not-found"));
    }

    @Test
    void presenceFollowsConnectsAndCloseClient() throws Exception {
        String uid = uid();
        assertThat(pushgate.isUidOnline(uid)).isFalse();
        assertThat(pushgate.getClientIdByUid(uid)).isEmpty();

        WsClient a = connect(uid, List.of());
        WsClient b = connect(uid, List.of());
        connect(uid(), List.of());

        assertThat(pushgate.isUidOnline(uid)).isTrue();
        assertThat(pushgate.getClientIdByUid(uid)).containsExactlyInAnyOrder(a.clientId(), b.clientId());
        assertThat(pushgate.getAllUidCount()).isEqualTo(2);

        assertThat(pushgate.closeClient(a.clientId())).isTrue();
        assertThat(a.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4403);
        await().atMost(Duration.ofSeconds(10)).until(() -> pushgate.getClientIdByUid(uid).equals(List.of(b.clientId())));
        assertThat(pushgate.isUidOnline(uid)).isTrue();

        assertThat(pushgate.closeClient(b.clientId())).isTrue();
        assertThat(b.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4403);
        await().atMost(Duration.ofSeconds(10)).until(() -> !pushgate.isUidOnline(uid));
        assertThat(pushgate.getAllUidCount()).isEqualTo(1);

        assertThat(pushgate.closeClient(b.clientId())).as("already closed").isFalse();
    }

    @Test
    void publishBatchDeliversEveryItemInOrder() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of("batch-group"));

        List<PublishResult> results = pushgate.publishBatch(List.of(
                Message.toUids(uid).event("first").data(1),
                Message.toGroups("batch-group").event("second").data(2)));

        assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r.sessions()).isEqualTo(1));
        assertThat(client.nextMessage().get("event")).isEqualTo("first");
        assertThat(client.nextMessage().get("event")).isEqualTo("second");
    }

    @Test
    void aBadBatchItemPublishesNothingAndSaysWhy() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());

        assertThatThrownBy(() -> pushgate.publishBatch(List.of(
                Message.toUids(uid).event("never").data(1),
                Message.toUids("has space").data(2))))
                .isInstanceOfSatisfying(PushgateException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.slug()).isEqualTo("bad-request");
                    assertThat(e.detail()).isNotBlank();
                });
        pushgate.sendToAll("marker", null);
        assertThat(client.nextMessage().get("event")).isEqualTo("marker");
    }

    @Test
    void aRepeatedIdempotencyKeyIsDeliveredOnceAndAnsweredAsADuplicate() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());
        String key = "order-" + UUID.randomUUID();
        Message message = Message.toUids(uid).event("paid").data(Map.of("order", 9001)).idempotencyKey(key);

        PublishResult first = pushgate.publish(message);
        PublishResult again = pushgate.publish(message);

        assertThat(first.duplicate()).isFalse();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(client.nextMessage().get("event")).isEqualTo("paid");

        // in a batch the key is a member of each item
        String batchKey = "batch-" + UUID.randomUUID();
        Message keyed = Message.toUids(uid).event("batched").data(1).idempotencyKey(batchKey);
        assertThat(pushgate.publishBatch(List.of(keyed)).get(0).duplicate()).isFalse();
        assertThat(pushgate.publishBatch(List.of(keyed)).get(0).duplicate()).isTrue();
        assertThat(client.nextMessage().get("event")).isEqualTo("batched");

        pushgate.sendToAll("marker", null);
        assertThat(client.nextMessage().get("event")).as("no second delivery").isEqualTo("marker");
    }

    @Test
    void asyncVariantsCompleteWithTheSameAnswers() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of("async"));

        assertThat(pushgate.sendToUidAsync(uid, "a1", 1).get(10, TimeUnit.SECONDS).sessions()).isEqualTo(1);
        assertThat(pushgate.sendToGroupAsync("async", "a2", 2).get(10, TimeUnit.SECONDS).sessions()).isEqualTo(1);
        assertThat(pushgate.sendToAllAsync("a3", 3).get(10, TimeUnit.SECONDS).sessions()).isEqualTo(1);
        assertThat(pushgate.sendToClientAsync(client.clientId(), "a4", 4).get(10, TimeUnit.SECONDS).sessions()).isEqualTo(1);
        assertThat(pushgate.publishBatchAsync(List.of(Message.toUids(uid).event("a5"))).get(10, TimeUnit.SECONDS)).hasSize(1);
        for (String event : List.of("a1", "a2", "a3", "a4", "a5")) {
            assertThat(client.nextMessage().get("event")).isEqualTo(event);
        }
        assertThat(pushgate.isUidOnlineAsync(uid).get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(pushgate.getClientIdByUidAsync(uid).get(10, TimeUnit.SECONDS)).containsExactly(client.clientId());
        assertThat(pushgate.getAllUidCountAsync().get(10, TimeUnit.SECONDS)).isEqualTo(1);

        pushgate.joinGroupAsync(client.clientId(), "async-2").get(10, TimeUnit.SECONDS);
        assertThat(pushgate.sendToGroup("async-2", "a6", 6).sessions()).isEqualTo(1);
        pushgate.leaveGroupAsync(client.clientId(), "async-2").get(10, TimeUnit.SECONDS);
        assertThat(pushgate.sendToGroup("async-2", "a7", 7).sessions()).isZero();
        assertThat(client.nextMessage().get("event")).isEqualTo("a6");

        assertThat(pushgate.closeClientAsync(client.clientId()).get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(client.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4403);
        await().atMost(Duration.ofSeconds(10)).until(() -> !pushgate.isUidOnlineAsync(uid).join());
    }

    @Test
    void aWrongApiKeyIsInvalidApiKeyInBothForms() {
        Pushgate wrong = Pushgate.builder().url(server.url()).apiKey("not-the-key").build();

        assertThatThrownBy(() -> wrong.sendToAll("x", 1)).isInstanceOfSatisfying(PushgateException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.type()).isEqualTo("urn:pushgate:problem:invalid-api-key");
            assertThat(e.detail()).isNotBlank();
            assertThat(e.outcomeUnknown()).isFalse();
        });
        assertThatThrownBy(() -> wrong.isUidOnlineAsync("u").get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(PushgateException.class, e -> assertThat(e.slug()).isEqualTo("invalid-api-key"));
        assertThatThrownBy(() -> wrong.getAllUidCountAsync().join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(PushgateException.class);
    }

    @Test
    void tokensSignedByTheHelperAreAcceptedWithTheDefaultKeyAndByKid() throws Exception {
        String uid = uid();
        WsClient byDefault = connect(uid, List.of("from-token"));
        assertThat(byDefault.welcome.get("uid")).isEqualTo(uid);
        assertThat(byDefault.welcome.get("groups")).isEqualTo(List.of("from-token"));

        String kidUid = uid();
        WsClient byKid = WsClient.connect(server.port, ClientTokens.sign(PushgateServer.KID_SECRET, PushgateServer.KID, kidUid,
                Duration.ofMinutes(1), List.of(), List.of(), Map.of()));
        sessions.add(byKid);
        assertThat(byKid.welcome.get("uid")).isEqualTo(kidUid);

        // the rotated key without its kid is the wrong key for the default secret: refused
        String unsigned = ClientTokens.sign(PushgateServer.KID_SECRET, uid(), Duration.ofMinutes(1), List.of(), List.of());
        assertThatThrownBy(() -> WsClient.connect(server.port, unsigned))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));
    }
    @Test
    void aPublishStreamDeliversPipelinedPublishesInOrderAndAnswersEachLikeHttp() throws Exception {
        String uid = uid();
        WsClient client = connect(uid, List.of());
        try (PushgateStream stream = pushgate.openStream(16)) {
            List<java.util.concurrent.CompletableFuture<PublishResult>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(stream.publishAsync(Message.toUids(uid).event("n").data(i)));
            }
            java.util.concurrent.CompletableFuture<PublishResult> refused = stream.publishAsync(Message.toUids("has space").data(1));
            PublishResult after = stream.publish(Message.toUids(uid, uid()).event("after").data(Json.raw("1.50")));

            java.util.Set<String> ids = new java.util.HashSet<>();
            for (java.util.concurrent.CompletableFuture<PublishResult> answer : answers) {
                PublishResult result = answer.get(10, TimeUnit.SECONDS);
                assertThat(result.sessions()).isEqualTo(1);
                assertThat(result.online()).containsExactly(uid);
                ids.add(result.id());
            }
            assertThat(ids).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(client.nextMessage().get("data")).isEqualTo((long) i);
            }
            assertThatThrownBy(refused::join).cause().isInstanceOfSatisfying(PushgateException.class, e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.type()).isEqualTo("urn:pushgate:problem:bad-request");
                assertThat(e.detail()).contains("to.uids");
                assertThat(e.outcomeUnknown()).isFalse();
            });
            assertThat(after.offline()).hasSize(1);
            Map<String, Object> last = client.nextMessage();
            assertThat(last.get("event")).isEqualTo("after");

            String key = "k-" + UUID.randomUUID();
            PublishResult first = stream.publish(Message.toUids(uid).event("once").data(1).idempotencyKey(key));
            PublishResult again = stream.publish(Message.toUids(uid).event("once").data(1).idempotencyKey(key));
            assertThat(again.duplicate()).isTrue();
            assertThat(again.id()).isEqualTo(first.id());
            assertThat(stream.inFlight()).isZero();
        }
    }

    @Test
    void aPublishStreamWithAWrongKeyIsRefused() {
        Pushgate wrong = Pushgate.builder().url(server.url()).apiKey("not-the-key").build();
        assertThatThrownBy(wrong::openStream).isInstanceOfSatisfying(PushgateException.class,
                e -> assertThat(e.status()).isEqualTo(401));
    }
}
