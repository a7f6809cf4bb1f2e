package io.pushgate.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.RedisServer;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * Two nodes and a real redis-server: whatever node a backend or a client talks to, the cluster
 * behaves as one server.
 */
class ClusterTests {

    static final Duration PROPAGATION = Duration.ofSeconds(10);

    static RedisServer redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisServer.start();
        a = ClusterNode.start("a", redis);
        b = ClusterNode.start("b", redis);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    // ---- delivery ----------------------------------------------------------------------------------

    @Test
    void aPublishOnBReachesTheUidOnBothNodesAndTheAnswerCountsBoth() {
        String uid = TestSecrets.uniqueUid("both");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid)); WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 2);

            JsonNode answer = b.api().publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":{\"n\":1}}");

            assertThat(answer.path("sessions").asInt()).isEqualTo(2);
            assertThat(answer.path("online").toString()).contains(uid);
            String id = answer.path("id").asString();
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(id);
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(id);
        }
    }

    @Test
    void groupAndBroadcastPublishesReachMembersOnEveryNodeOnce() {
        String uid1 = TestSecrets.uniqueUid("g1");
        String uid2 = TestSecrets.uniqueUid("g2");
        String group = TestSecrets.uniqueUid("room");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid1, List.of(group), List.of()));
             WsTestClient onB = ws(b, TestSecrets.token(uid2, List.of(group), List.of()))) {
            await().atMost(PROPAGATION).until(() -> a.api().get("/api/v1/groups/" + group).path("sessions").asInt() == 2);

            JsonNode toGroup = a.api().publish("{\"to\":{\"groups\":[\"" + group + "\"],\"uids\":[\"" + uid2
                    + "\"]},\"data\":\"g\"}");
            assertThat(toGroup.path("sessions").asInt()).as("a session matched twice counts once").isEqualTo(2);
            assertSameMessage(onA.nextMessage(), toGroup, "\"g\"");
            assertSameMessage(onB.nextMessage(), toGroup, "\"g\"");

            JsonNode toAll = b.api().publish("{\"to\":{\"all\":true},\"data\":\"all\"}");
            assertSameMessage(onA.nextMessage(), toAll, "\"all\"");
            assertSameMessage(onB.nextMessage(), toAll, "\"all\""); // no duplicate of the group message first
        }
    }

    @Test
    void publishesFromBothNodesArriveInOneOrderEverywhere() {
        String uid = TestSecrets.uniqueUid("order");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid)); WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 2);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ClusterNode via = i % 2 == 0 ? a : b;
                ids.add(via.api().publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + i + "}").path("id").asString());
            }
            assertThat(messageIds(onA, ids.size())).containsExactlyElementsOf(ids);
            assertThat(messageIds(onB, ids.size())).containsExactlyElementsOf(ids);
        }
    }

    @Test
    void aBatchThroughOneNodeArrivesWholeAndInOrderOnTheOther() {
        String uid = TestSecrets.uniqueUid("batch");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 1);
            String one = toUid(uid, 1);
            JsonNode answers = b.api().post("/api/v1/messages:batch", "[" + one + "," + toUid(uid, 2) + "," + toUid(uid, 3) + "]", 200);
            List<String> ids = new ArrayList<>();
            answers.forEach(answer -> {
                assertThat(answer.path("sessions").asInt()).isEqualTo(1);
                ids.add(answer.path("id").asString());
            });
            assertThat(ids).hasSize(3);
            assertThat(messageIds(onA, 3)).containsExactlyElementsOf(ids);
        }
    }

    // ---- presence ----------------------------------------------------------------------------------

    @Test
    void presenceAgreesOnEveryNode() {
        String uid = TestSecrets.uniqueUid("presence");
        String group = TestSecrets.uniqueUid("pg");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid, List.of(group), List.of()));
             SseTestClient onB = SseTestClient.open(b.port(), "token=" + TestSecrets.token(uid, List.of(group), List.of()))) {
            onB.nextEvent("welcome");
            awaitSessions(a, uid, 2);
            awaitSessions(b, uid, 2);
            for (ClusterNode node : List.of(a, b)) {
                JsonNode presence = node.api().get("/api/v1/uids/" + uid);
                assertThat(presence.path("clientIds").toString()).contains("\"a-", "\"b-");
                JsonNode members = node.api().get("/api/v1/groups/" + group);
                assertThat(members.path("uids").toString()).isEqualTo("[\"" + uid + "\"]");
                assertThat(members.path("sessions").asInt()).isEqualTo(2);
            }
            await().atMost(PROPAGATION).untilAsserted(() -> // other tests' sessions may still be leaving
                    assertThat(a.api().get("/api/v1/uids?online").path("count").asInt())
                            .isEqualTo(b.api().get("/api/v1/uids?online").path("count").asInt()));
        }
        awaitSessions(a, uid, 0);
        awaitSessions(b, uid, 0);
    }

    @Test
    void statsListEveryNodeAndTheirTotal() {
        String uid = TestSecrets.uniqueUid("stats");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid)); WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            await().atMost(PROPAGATION).untilAsserted(() -> {
                JsonNode stats = a.api().get("/api/v1/stats");
                assertThat(stats.path("nodes").findValuesAsString("node")).containsExactly("a", "b");
                int sum = 0;
                for (JsonNode n : stats.path("nodes")) {
                    assertThat(n.path("sessions").asInt()).isPositive();
                    sum += n.path("sessions").asInt();
                }
                assertThat(stats.path("total").path("sessions").asInt()).isEqualTo(sum);
            });
        }
    }

    // ---- membership and kicks through the API of another node --------------------------------------

    /**
     * A group or broadcast message as a session received it, against the publish's answer: the same id on one
     * log; on a partitioned one each partition's copy has its own cursor as id (the answer names the lowest
     * partition's), so only the data can be compared.
     */
    static void assertSameMessage(JsonNode received, JsonNode answer, String dataJson) {
        assertThat(received.path("type").asString()).isEqualTo("message");
        assertThat(received.path("data").toString()).isEqualTo(dataJson);
        if (ClusterNode.PARTITIONS == 1) {
            assertThat(received.path("id").asString()).isEqualTo(answer.path("id").asString());
        }
    }

    @Test
    void uidMembershipSetOnBAppliesToTheSessionOnA() {
        String uid = TestSecrets.uniqueUid("member");
        String group = TestSecrets.uniqueUid("mg");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 1);
            JsonNode joined = b.api().put("/api/v1/groups/" + group + "/uids/" + uid, 200);
            assertThat(joined.path("sessions").asInt()).isEqualTo(1);
            await().atMost(PROPAGATION).until(() -> b.api().get("/api/v1/groups/" + group).path("sessions").asInt() == 1);

            JsonNode published = b.api().publish("{\"to\":{\"groups\":[\"" + group + "\"]},\"data\":1}");
            assertSameMessage(onA.nextMessage(), published, "1");

            b.api().delete("/api/v1/groups/" + group + "/uids/" + uid, 200);
            await().atMost(PROPAGATION).until(() -> a.api().get("/api/v1/groups/" + group).path("sessions").asInt() == 0);
        }
    }

    /**
     * The backend's order: once a join is answered, a message to the group reaches the uid's sessions on every
     * node. On a partitioned log the join travels in the uid's partition too, ahead of the group's copy there,
     * so the node never applies the copy before the join however its two logs' reads interleave.
     */
    @Test
    void aGroupMessagePublishedRightAfterAJoinIsAnsweredReachesTheUidOnAnotherNode() {
        String uid = TestSecrets.uniqueUid("jointhen");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 1);
            for (int i = 0; i < 30; i++) {
                String group = TestSecrets.uniqueUid("jt");
                b.api().put("/api/v1/groups/" + group + "/uids/" + uid, 200);
                JsonNode published = b.api().publish("{\"to\":{\"groups\":[\"" + group + "\"]},\"data\":" + i + "}");
                assertSameMessage(onA.nextMessage(), published, Integer.toString(i));
            }
        }
    }

    @Test
    void clientMembershipAndKickByClientIdWorkFromAnotherNode() {
        String uid = TestSecrets.uniqueUid("client");
        String group = TestSecrets.uniqueUid("cg");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            String clientId = awaitSessions(b, uid, 1).get(0);
            b.api().put("/api/v1/groups/" + group + "/clients/" + clientId, 200);
            await().atMost(PROPAGATION).until(() -> b.api().get("/api/v1/groups/" + group).path("sessions").asInt() == 1);
            JsonNode published = b.api().publish("{\"to\":{\"groups\":[\"" + group + "\"]},\"data\":1}");
            assertSameMessage(onA.nextMessage(), published, "1");

            b.api().delete("/api/v1/clients/" + clientId, 200);
            assertThat(onA.awaitClose().code()).isEqualTo(4403);
        }
        assertThat(b.api().delete("/api/v1/clients/b-nobody", 404).path("type").asString())
                .isEqualTo("urn:pushgate:problem:client-not-found");
    }

    @Test
    void kickingAUidOnOneNodeClosesItsSessionsOnBoth() {
        String uid = TestSecrets.uniqueUid("kick");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid)); WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 2);
            JsonNode kicked = b.api().delete("/api/v1/uids/" + uid + "/sessions", 200);
            assertThat(kicked.path("closed").asInt()).isEqualTo(2);
            assertThat(onA.awaitClose().code()).isEqualTo(4403);
            assertThat(onB.awaitClose().code()).isEqualTo(4403);
        }
        awaitSessions(a, uid, 0);
    }

    @Test
    void aMessageHeldForAnOfflineUidIsDeliveredOnceWhicheverNodeItConnectsTo() {
        String uid = TestSecrets.uniqueUid("offline");
        JsonNode held = a.api().publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":\"later\",\"ttl\":300}");
        assertThat(held.path("offline").toString()).contains(uid);

        try (WsTestClient onB = WsTestClient.connect(b.api().ws("token=" + TestSecrets.token(uid)))) {
            onB.nextOfType("welcome");
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(held.path("id").asString());
        }
        awaitSessions(a, uid, 0);
        try (WsTestClient onA = WsTestClient.connect(a.api().ws("token=" + TestSecrets.token(uid)))) {
            onA.nextOfType("welcome");
            String live = b.api().publish(toUid(uid, 1)).path("id").asString();
            assertThat(onA.nextMessage().path("id").asString()).as("the held message is not delivered twice")
                    .isEqualTo(live);
        }
    }

    // ---- resume on another node --------------------------------------------------------------------

    @Test
    void aWebSocketDroppedFromAResumesOnBWithEveryMissedMessageOnce() {
        String uid = TestSecrets.uniqueUid("wsresume");
        String token = TestSecrets.token(uid);
        String seen;
        try (WsTestClient onA = ws(a, token)) {
            seen = a.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(seen);
        }
        awaitSessions(b, uid, 0);
        List<String> missed = publishMany(uid, 30);

        try (WsTestClient onB = WsTestClient.connect(b.api().ws("token=" + token + "&cursor=" + seen))) {
            onB.nextOfType("welcome");
            assertThat(messageIds(onB, missed.size())).containsExactlyElementsOf(missed);
            String live = a.api().publish(toUid(uid, 99)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).as("live right after the replay").isEqualTo(live);
        }
    }

    @Test
    void anSseStreamDroppedFromBResumesOnAWithLastEventId() {
        String uid = TestSecrets.uniqueUid("sseresume");
        String token = TestSecrets.token(uid);
        String seen;
        try (SseTestClient onB = SseTestClient.open(b.port(), "token=" + token)) {
            onB.nextEvent("welcome");
            seen = b.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onB.nextMessage().id()).isEqualTo(seen);
        }
        List<String> missed = publishMany(uid, 30);

        try (SseTestClient onA = SseTestClient.open(a.port(), "token=" + token, java.util.Map.of("Last-Event-ID", seen))) {
            onA.nextEvent("welcome");
            List<String> got = new ArrayList<>();
            while (got.size() < missed.size()) {
                got.add(onA.nextMessage().id());
            }
            assertThat(got).containsExactlyElementsOf(missed);
        }
    }

    @Test
    void aLongPollerLandingOnAnotherNodeAtEveryPollGetsEveryMessageOnceInOrder() {
        String uid = TestSecrets.uniqueUid("poll");
        PollTestClient onA = new PollTestClient(a.port(), TestSecrets.token(uid));
        PollTestClient onB = new PollTestClient(b.port(), TestSecrets.token(uid));
        onA.poll(); // the first poll gives a cursor
        String cursor = onA.cursor();
        List<String> published = new ArrayList<>();
        List<String> received = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 3; i++) {
                ClusterNode via = (round + i) % 2 == 0 ? a : b;
                published.add(via.api().publish(toUid(uid, round * 10 + i)).path("id").asString());
            }
            PollTestClient poller = round % 2 == 0 ? onB : onA;
            while (received.size() < published.size()) {
                PollTestClient.Answer answer = poller.pollWith(cursor);
                assertThat(answer.status()).isEqualTo(200);
                received.addAll(answer.ids());
                cursor = answer.cursor();
            }
        }
        assertThat(received).containsExactlyElementsOf(published);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    static WsTestClient ws(ClusterNode node, String token) {
        WsTestClient client = WsTestClient.connect(node.api().ws("token=" + token));
        client.nextOfType("welcome");
        return client;
    }

    /** Waits until the node's presence shows {@code count} sessions of the uid; returns their client ids. */
    static List<String> awaitSessions(ClusterNode node, String uid, int count) {
        List<String> ids = new ArrayList<>();
        await().atMost(PROPAGATION).untilAsserted(() -> {
            JsonNode presence = node.api().get("/api/v1/uids/" + uid);
            assertThat(presence.path("sessions").asInt()).isEqualTo(count);
            ids.clear();
            presence.path("clientIds").forEach(id -> ids.add(id.asString()));
        });
        return ids;
    }

    static String toUid(String uid, int n) {
        return "{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + n + "}";
    }

    /** Publishes alternately through both nodes. */
    static List<String> publishMany(String uid, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            ids.add((i % 2 == 0 ? a : b).api().publish(toUid(uid, i)).path("id").asString());
        }
        return ids;
    }

    static List<String> messageIds(WsTestClient client, int count) {
        List<String> ids = new ArrayList<>();
        while (ids.size() < count) {
            ids.add(client.nextMessage().path("id").asString());
        }
        return ids;
    }
}
