package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.messageIds;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;

import io.pushgate.broker.redis.RedisBroker;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * What a user of two nodes notices whatever Redis topology joins them: delivery and presence across
 * nodes, and a WebSocket resuming on the other node with nothing missed. A subclass starts its topology
 * and two nodes on it, {@link #a()} and {@link #b()}, in {@code @BeforeAll}.
 */
abstract class RedisTopologyBehaviour {

    /** Waits until each node has caught up with the cluster through Redis (its broker is in sync). */
    static void awaitJoined(ClusterNode... nodes) {
        for (ClusterNode node : nodes) {
            await("node " + node.nodeId() + " in sync with Redis").atMost(ClusterTests.PROPAGATION)
                    .until(() -> node.bean(RedisBroker.class).healthy());
        }
    }

    abstract ClusterNode a();

    abstract ClusterNode b();

    @Test
    void aWebSocketOnAReceivesAPublishThroughBsApiAndBSeesItOnline() {
        String uid = TestSecrets.uniqueUid("topo");
        try (WsTestClient onA = ws(a(), TestSecrets.token(uid))) {
            String clientId = awaitSessions(b(), uid, 1).get(0);
            assertThat(clientId).as("the session is node a's").startsWith(a().nodeId() + "-");
            JsonNode presence = b().api().get("/api/v1/uids/" + uid);
            assertThat(presence.path("online").asBoolean()).isTrue();

            JsonNode answer = b().api().publish(toUid(uid, 1));

            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            assertThat(answer.path("online").toString()).contains(uid);
            JsonNode message = onA.nextMessage();
            assertThat(message.path("id").asString()).isEqualTo(answer.path("id").asString());
            assertThat(message.path("data").asInt()).isEqualTo(1);
        }
        awaitSessions(b(), uid, 0);
    }

    @Test
    void aUidPushPublishedOnAReachesItsSessionOnBExactlyOnce() {
        String uid = TestSecrets.uniqueUid("topoonce");
        try (WsTestClient onB = ws(b(), TestSecrets.token(uid))) {
            awaitSessions(a(), uid, 1);
            assertDeliveredOnce(a(), onB, uid);
        }
    }

    /**
     * Publishes a message to {@code uid} through {@code publisher}, then a second one as a marker, and
     * asserts that {@code client} receives exactly these two messages, in order: the first once, and
     * nothing else before the marker (frames other than messages, such as a {@code reset}, are skipped).
     * The marker is what makes "once" observable without waiting for a quiet period.
     */
    static void assertDeliveredOnce(ClusterNode publisher, WsTestClient client, String uid) {
        String once = publisher.api().publish(toUid(uid, 1)).path("id").asString();
        String marker = publisher.api().publish(toUid(uid, 2)).path("id").asString();
        List<String> received = new ArrayList<>();
        while (!received.contains(marker)) {
            received.add(client.nextMessage().path("id").asString());
        }
        assertThat(received).as("the publish once, then the marker").containsExactly(once, marker);
    }

    @Test
    void aWebSocketDroppedFromAResumesOnBWithEveryMissedMessageOnceInOrder() {
        String uid = TestSecrets.uniqueUid("toporesume");
        String token = TestSecrets.token(uid);
        String seen;
        try (WsTestClient onA = ws(a(), token)) {
            seen = a().api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(seen);
        }
        awaitSessions(b(), uid, 0);
        List<String> missed = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            missed.add((i % 2 == 0 ? a() : b()).api().publish(toUid(uid, i)).path("id").asString());
        }

        try (WsTestClient onB = WsTestClient.connect(b().api().ws("token=" + token + "&cursor=" + seen))) {
            onB.nextOfType("welcome");
            assertThat(messageIds(onB, missed.size())).containsExactlyElementsOf(missed);
            String live = a().api().publish(toUid(uid, 99)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).as("live right after the replay").isEqualTo(live);
            assertThat(onB.drain()).as("no duplicate").noneMatch(f -> "message".equals(f.path("type").asString()));
        }
    }
}
