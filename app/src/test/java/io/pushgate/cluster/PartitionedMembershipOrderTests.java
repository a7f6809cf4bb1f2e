package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * On a partitioned log a backend's membership change reaches the member's node through the member's
 * partition too, in order with the group's copies there: a message published to the group once the join
 * is answered reaches the member even when its node has not read the join from the control log yet.
 *
 * <p>The test makes that moment last: node {@code ma} logs in to Redis as its own user, whose {@code XREAD}
 * is taken away ({@code ACL SETUSER nodea -xread}), so it reads nothing more of the control log, while its
 * pub/sub connection, which needs no new command, goes on receiving its partitions' channels.
 */
class PartitionedMembershipOrderTests {

    static final String PASSWORD = "membership-order-password";
    static final Duration WAIT = Duration.ofSeconds(30);

    RedisServer redis;
    ClusterNode a;
    ClusterNode b;

    @BeforeEach
    void startCluster() {
        redis = RedisServer.start();
        redis.command("ACL", "SETUSER", "nodea", "on", ">" + PASSWORD, "~*", "&*", "+@all");
        a = ClusterNode.start("ma", redis, "pushgate.redis.partitions=4", "spring.data.redis.username=nodea",
                "spring.data.redis.password=" + PASSWORD);
        b = ClusterNode.start("mb", redis, "pushgate.redis.partitions=4");
    }

    @AfterEach
    void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void aJoinAnsweredBeforeAGroupMessageReachesTheMemberWhoseNodeHasNotReadTheControlLog() {
        String uid = TestSecrets.uniqueUid("order");
        String group = TestSecrets.uniqueUid("og");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 1);
            stopControlLogReadsOfA();

            JsonNode joined = b.api().put("/api/v1/groups/" + group + "/uids/" + uid, 200);
            assertThat(joined.path("sessions").asInt()).as("the uid's session on a joined").isEqualTo(1);
            b.api().publish("{\"to\":{\"groups\":[\"" + group + "\"]},\"data\":\"after the join\"}");

            JsonNode received = onA.nextMessage();
            assertThat(received.path("data").asString()).isEqualTo("after the join");
            assertThat(received.path("to").path("group").asString()).isEqualTo(group);
        } finally {
            redis.command("ACL", "SETUSER", "nodea", "+xread");
        }
    }

    /**
     * Takes {@code XREAD} from a's user and ends the read it has in flight, which Redis admitted before:
     * from then on a's log reader gets every read refused.
     */
    private void stopControlLogReadsOfA() {
        redis.command("ACL", "SETUSER", "nodea", "-xread");
        await().atMost(WAIT).untilAsserted(() -> {
            Optional<String> blocked = blockedReadOfA();
            blocked.ifPresent(id -> redis.command("CLIENT", "UNBLOCK", id));
            assertThat(blockedReadOfA()).as("a read of a's still waiting in Redis").isEmpty();
        });
    }

    private Optional<String> blockedReadOfA() {
        return Arrays.stream(redis.command("CLIENT", "LIST").split("\n"))
                .filter(client -> client.contains(" user=nodea ") && client.contains(" flags=b "))
                .map(client -> client.substring(client.indexOf("id=") + 3, client.indexOf(' ', client.indexOf("id="))))
                .findFirst();
    }
}
