package io.pushgate.transport.pusher;

import io.pushgate.support.Closer;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.NodePusherClient;
import io.pushgate.support.RedisServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Presence channels across two nodes and a real redis-server, with the stock pusher-js and {@code pusher} SDK:
 * a member on one node is a member on every node, added and removed once per user.
 */
@Tag("e2e")
class PusherClusterTests {

    static final String APP_ID = "4242";
    static final String KEY = "test-pusher-key";
    static final String SECRET = "test-pusher-secret-0123456789";

    static RedisServer redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisServer.start();
        String[] pusher = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=" + APP_ID,
                "pushgate.compat.pusher.key=" + KEY, "pushgate.compat.pusher.secret=" + SECRET};
        a = ClusterNode.start("a", redis, pusher);
        b = ClusterNode.start("b", redis, pusher);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    private static NodePusherClient page(ClusterNode node) {
        NodePusherClient page = NodePusherClient.start(options(node, true));
        page.socketId();
        return page;
    }

    private static NodePusherClient backend(ClusterNode node) {
        return NodePusherClient.start(options(node, false));
    }

    private static String options(ClusterNode node, boolean connect) {
        return "{\"port\":" + node.port() + ",\"appId\":\"" + APP_ID + "\",\"key\":\"" + KEY + "\",\"secret\":\"" + SECRET
                + "\",\"connect\":" + connect + "}";
    }

    private static JsonNode subscribe(NodePusherClient page, String channel, String user) {
        page.send("{\"subscribe\":\"" + channel + "\",\"user\":" + user + "}");
        return page.await(line -> channel.equals(line.path("subscribed").asString(null)), "subscribed to " + channel);
    }

    @Test
    void aMemberOnNodeAIsAMemberOnNodeBAndLeavesOnce() {
        String channel = "presence-" + uniqueUid("across");
        try (NodePusherClient ann = page(a); NodePusherClient annAgain = page(a); NodePusherClient bob = page(b);
             NodePusherClient backendOnB = backend(b)) {
            subscribe(ann, channel, "{\"user_id\":\"ann\",\"user_info\":{\"name\":\"Ann\"}}");
            org.awaitility.Awaitility.await("node B has heard of Ann").atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    backendOnB.call("{\"get\":\"/channels/" + channel + "/users\"}").path("body").toString().contains("ann"));
            JsonNode here = subscribe(bob, channel, "{\"user_id\":\"bob\"}");
            assertThat(here.path("members").toString()).contains("{\"id\":\"ann\",\"info\":{\"name\":\"Ann\"}}")
                    .contains("\"id\":\"bob\"");
            JsonNode joined = ann.await(line -> line.has("member_added"), "bob joining, told on node A");
            assertThat(joined.path("id").asString()).isEqualTo("bob");

            // Ann's second tab on node A is the same member: node B's subscriber is not told
            subscribe(annAgain, channel, "{\"user_id\":\"ann\",\"user_info\":{\"name\":\"Ann\"}}");
            JsonNode users = backendOnB.call("{\"get\":\"/channels/" + channel + "/users\"}");
            assertThat(users.path("body").toString()).isEqualTo("{\"users\":[{\"id\":\"ann\"},{\"id\":\"bob\"}]}");
            JsonNode info = backendOnB.call("{\"get\":\"/channels/" + channel + "\",\"params\":{\"info\":\"user_count,subscription_count\"}}");
            assertThat(info.path("body").toString()).isEqualTo("{\"occupied\":true,\"user_count\":2,\"subscription_count\":3}");

            annAgain.send("{\"unsubscribe\":\"" + channel + "\"}");
            ann.close(); // Ann's last connection goes
            JsonNode left = bob.await(line -> line.has("member_removed"), "ann leaving, told on node B");
            assertThat(left.path("id").asString()).isEqualTo("ann");
            JsonNode after = backendOnB.call("{\"get\":\"/channels/" + channel + "/users\"}");
            assertThat(after.path("body").toString()).isEqualTo("{\"users\":[{\"id\":\"bob\"}]}");
            assertThat(bob.seen().stream().filter(line -> line.has("member_added") || line.has("member_removed")).toList())
                    .as("Ann's second tab added nobody; Ann was removed once").hasSize(1);
        }
    }

    @Test
    void terminateConnectionsOnNodeBClosesAPresenceUsersConnectionsOnNodeA() {
        String channel = "presence-" + uniqueUid("ended");
        try (NodePusherClient ann = page(a); NodePusherClient bob = page(b); NodePusherClient backendOnB = backend(b)) {
            subscribe(ann, channel, "{\"user_id\":\"ann-t\"}");
            subscribe(bob, channel, "{\"user_id\":\"bob-t\"}");
            ann.await(line -> line.has("member_added"), "bob joining");

            assertThat(backendOnB.call("{\"terminate\":\"ann-t\"}").path("status").asInt()).isEqualTo(200);

            assertThat(bob.await(line -> line.has("member_removed"), "ann leaving").path("id").asString()).isEqualTo("ann-t");
            ann.await(line -> "disconnected".equals(line.path("state").asString(null)) || "failed".equals(line.path("state").asString(null)),
                    "ann's connection closed");
        }
    }

    @Test
    void membersDoNotSeemToLeaveAndComeBackWhenRedisLosesItsDataAndTheNodesRestate() {
        String channel = "presence-" + uniqueUid("outage");
        try (NodePusherClient ann = page(a); NodePusherClient bob = page(b)) {
            subscribe(ann, channel, "{\"user_id\":\"ann-o\"}");
            JsonNode here = subscribe(bob, channel, "{\"user_id\":\"bob-o\"}");
            if (!here.path("members").toString().contains("ann-o")) { // node B had not heard of Ann yet
                bob.await(line -> "ann-o".equals(line.path("id").asString(null)), "ann joining");
            }
            ann.await(line -> line.has("member_added"), "bob joining");

            redis.restart(); // empty: each node states its sessions again, and reloads the other's
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                    "1".equals(redis.command("HLEN", "{pushgate}:s:a")) && "1".equals(redis.command("HLEN", "{pushgate}:s:b")));
            try (NodePusherClient carl = page(a)) {
                subscribe(carl, channel, "{\"user_id\":\"carl-o\"}");

                JsonNode next = bob.await(line -> line.has("member_added") || line.has("member_removed"),
                        "the next member change on node B");
                assertThat(next.path("member_added").isMissingNode()).as("Carl joining: %s", next).isFalse();
                assertThat(next.path("id").asString()).isEqualTo("carl-o");
                JsonNode onA = ann.await(line -> line.has("member_removed") || "carl-o".equals(line.path("id").asString(null)),
                        "the next member change on node A");
                assertThat(onA.has("member_removed")).as("Ann saw no one leave: %s", onA).isFalse();
            }
        }
    }
}
