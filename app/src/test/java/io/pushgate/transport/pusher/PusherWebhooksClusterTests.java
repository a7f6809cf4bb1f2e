package io.pushgate.transport.pusher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.pushgate.support.Closer;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.PusherSocket;
import io.pushgate.support.PusherWebhookReceiver;
import io.pushgate.support.RedisServer;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.pushgate.support.PusherWebhookReceiver.named;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pusher's webhooks from a cluster of nodes on a real redis-server: every node sees every change to a channel,
 * and each webhook is sent by exactly one of them, the node whose connection made the change, or the node that
 * reaped a dead node. Each node posts to a receiver of its own here, so a test sees which node told what; an
 * app would give them all one URL.
 */
class PusherWebhooksClusterTests {

    static final String KEY = PusherClusterTests.KEY;
    static final String SECRET = PusherClusterTests.SECRET;

    static RedisServer redis;
    static PusherWebhookReceiver toldByA;
    static PusherWebhookReceiver toldByB;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisServer.start();
        toldByA = PusherWebhookReceiver.start(KEY, SECRET);
        toldByB = PusherWebhookReceiver.start(KEY, SECRET);
        a = ClusterNode.start("wa", redis, settings(toldByA));
        b = ClusterNode.start("wb", redis, settings(toldByB));
    }

    static String[] settings(PusherWebhookReceiver receiver) {
        return new String[] {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=" + PusherClusterTests.APP_ID,
                "pushgate.compat.pusher.key=" + KEY, "pushgate.compat.pusher.secret=" + SECRET,
                "pushgate.compat.pusher.webhook-url=" + receiver.url(), "pushgate.events.retry-min=50ms",
                "pushgate.events.retry-max=500ms"};
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis, toldByA, toldByB);
    }

    @AfterEach
    void everySignatureVerified() {
        assertThat(toldByA.badSignatures() + toldByB.badSignatures()).isZero();
    }

    private static PusherSocket connect(ClusterNode node) {
        return PusherSocket.connect(node.port(), KEY, SECRET);
    }

    /** What either node told of the channel: {@code name} or {@code name:user_id}. */
    private static List<String> told(String channel) {
        List<String> both = new ArrayList<>(toldByA.of(channel));
        both.addAll(toldByB.of(channel));
        return both;
    }

    /**
     * Waits until everything both nodes queued before now reached their receivers: each node sends in the order it
     * queued, and a marker channel made on each node now comes after every change either node read before it.
     */
    private static void settled() {
        for (ClusterNode node : List.of(a, b)) {
            String marker = uniqueUid("marker-" + node.nodeId());
            try (PusherSocket socket = connect(node)) {
                socket.subscribe(marker);
                (node == a ? toldByA : toldByB).await(named("channel_occupied", marker), 1);
            }
        }
    }

    @Test
    void channelsOccupiedAndVacatedOnBothNodesAtOnceAreToldOnce() {
        List<String> channels = new ArrayList<>();
        List<CompletableFuture<PusherSocket>> opening = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String channel = uniqueUid("both" + i);
            channels.add(channel);
            opening.add(CompletableFuture.supplyAsync(() -> connect(a).subscribe(channel)));
            opening.add(CompletableFuture.supplyAsync(() -> connect(b).subscribe(channel)));
        }
        List<PusherSocket> sockets = opening.stream().map(CompletableFuture::join).toList();
        sockets.stream().map(s -> CompletableFuture.runAsync(s::close)).toList().forEach(CompletableFuture::join);
        for (String channel : channels) {
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> told(channel).contains("channel_vacated"));
        }
        settled();
        for (String channel : channels) {
            assertThat(told(channel)).as("what the cluster told of %s", channel)
                    .containsExactlyInAnyOrder("channel_occupied", "channel_vacated");
        }
    }

    @Test
    void aUserWithTabsOnTwoNodesIsAddedByTheFirstsNodeAndRemovedByTheLasts() {
        String channel = "presence-" + uniqueUid("tabs");
        try (PusherSocket annOnA = connect(a); PusherSocket annOnB = connect(b); PusherSocket bobOnB = connect(b)) {
            annOnA.join(channel, "ann");
            toldByA.await(named("member_added", channel), 1);
            annOnB.join(channel, "ann"); // her second tab: nobody is added
            bobOnB.join(channel, "bob");
            toldByB.await(named("member_added", channel), 1);
            annOnA.close(); // still there on B: nobody is removed
            // B has read her tab on A closing: the tab on B is now her last
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> b.api().get("/api/v1/groups/" + channel).path("sessions").asInt() == 2);
            settled();
            assertThat(told(channel)).containsExactlyInAnyOrder("channel_occupied", "member_added:ann", "member_added:bob");

            annOnB.close();
            toldByB.await(named("member_removed", channel), 1);
            bobOnB.unsubscribe(channel);
            toldByB.await(named("channel_vacated", channel), 1);
        }
        settled();
        assertThat(toldByA.of(channel)).as("told by A, whose connection made the change")
                .containsExactly("channel_occupied", "member_added:ann");
        assertThat(toldByB.of(channel)).as("told by B")
                .containsExactly("member_added:bob", "member_removed:ann", "member_removed:bob", "channel_vacated");
    }

    @Test
    void aClientEventIsToldOnceByTheSendersNode() {
        String channel = "private-" + uniqueUid("whisper");
        try (PusherSocket onA = connect(a).subscribe(channel); PusherSocket onB = connect(b).subscribe(channel)) {
            onA.clientEvent(channel, "client-typing", "{\"who\":\"a\"}");
            onB.next("client-typing");
            toldByA.await(named("client_event", channel), 1);
        }
        settled();
        assertThat(toldByA.matching(named("client_event", channel))).singleElement()
                .satisfies(e -> assertThat(e.path("data").asString()).isEqualTo("{\"who\":\"a\"}"));
        assertThat(toldByB.matching(named("client_event", channel))).as("the node that only relayed it").isEmpty();
    }

    @Test
    void theChannelsAndMembersOfANodeThatDiesAreToldOnceByTheNodeThatReapsIt() {
        String alone = "presence-" + uniqueUid("alone");
        String shared = "presence-" + uniqueUid("shared");
        try (PusherWebhookReceiver toldByC = PusherWebhookReceiver.start(KEY, SECRET);
             ClusterNode c = ClusterNode.start("wc", redis, settings(toldByC));
             PusherSocket carlOnC = connect(c); PusherSocket doraOnC = connect(c); PusherSocket eveOnA = connect(a)) {
            carlOnC.join(alone, "carl");
            doraOnC.join(shared, "dora");
            toldByC.await(named("member_added", alone), 1);
            toldByC.await(named("member_added", shared), 1); // in the log before Eve comes
            eveOnA.join(shared, "eve");
            toldByA.await(named("member_added", shared), 1);

            c.kill(); // nothing reaches Redis: A or B reaps it when its lease runs out
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> told(alone).contains("channel_vacated") && told(shared).contains("member_removed:dora"));
            settled();
            assertThat(told(alone)).as("told by the reaper").containsExactlyInAnyOrder("member_removed:carl", "channel_vacated");
            assertThat(told(shared)).containsExactlyInAnyOrder("member_added:eve", "member_removed:dora");
            assertThat(toldByC.of(alone)).as("told by C while it lived").containsExactly("channel_occupied", "member_added:carl");
            assertThat(toldByC.of(shared)).containsExactly("channel_occupied", "member_added:dora");
            assertThat(toldByC.badSignatures()).isZero();
        }
    }
}
