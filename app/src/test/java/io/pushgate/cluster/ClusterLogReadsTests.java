package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.PROPAGATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import tools.jackson.databind.JsonNode;

/**
 * What each node of a cluster reads from Redis, against what it delivers: three nodes on a real
 * redis-server, a uid's sessions only on node a, its pushes published through b and c. Each node's own
 * stats count the cluster log entries it read ({@code brokerEntriesRead}), the publishes among them
 * ({@code brokerMessagesRead}) and the messages it queued to its sessions ({@code messagesOut}).
 *
 * <p>With one log ({@code partitions=1}) every node reads it whole, so b and c read every push and deliver
 * none: the work that caps how far adding nodes helps (docs/cluster.md, "Scale: a model"). With a
 * partitioned log ({@link PartitionedLogReadsTests}) a node receives only the addresses it hosts, so b and c read none of
 * these pushes; presence stays a cluster-wide log in both designs, so b and c read the uid's connects either
 * way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterLogReadsTests {

    static final int PUSHES = 40;
    static final int SESSIONS = 2;

    RedisServer redis;
    ClusterNode a;
    ClusterNode b;
    ClusterNode c;

    /** The cluster log's partitions. */
    int partitions() {
        return 1;
    }

    /** The pushes a node without a session of the uid reads. */
    int readElsewhere() {
        return PUSHES; // one log: every push is read everywhere and dropped where no session is a target
    }

    @BeforeAll
    void startCluster() {
        redis = RedisServer.start();
        String setting = "pushgate.redis.partitions=" + partitions();
        a = ClusterNode.start("a", redis, setting);
        b = ClusterNode.start("b", redis, setting);
        c = ClusterNode.start("c", redis, setting);
    }

    @AfterAll
    void stopCluster() {
        Closer.closeAll(c, b, a, redis);
    }

    @Test
    void onlyTheNodeHoldingTheUidDeliversItsPushesAndOnlyOneLogMakesTheOthersReadThem() {
        String uid = TestSecrets.uniqueUid("reads");
        Counts bBefore = counts(b);
        Counts cBefore = counts(c);
        try (WsTestClient one = ClusterTests.ws(a, TestSecrets.token(uid));
             WsTestClient two = ClusterTests.ws(a, TestSecrets.token(uid))) {
            ClusterTests.awaitSessions(b, uid, SESSIONS);
            ClusterTests.awaitSessions(c, uid, SESSIONS);
            Counts aConnected = counts(a);
            Counts bConnected = counts(b);
            Counts cConnected = counts(c);
            // presence is cluster-wide in every design: the other nodes read the connects of a's sessions
            assertThat(bConnected.entries() - bBefore.entries()).isGreaterThanOrEqualTo(SESSIONS);
            assertThat(cConnected.entries() - cBefore.entries()).isGreaterThanOrEqualTo(SESSIONS);

            List<String> ids = new ArrayList<>();
            for (int i = 0; i < PUSHES; i++) {
                ids.add((i % 2 == 0 ? b : c).api().publish(ClusterTests.toUid(uid, i)).path("id").asString());
            }
            assertThat(ClusterTests.messageIds(one, PUSHES)).containsExactlyElementsOf(ids);
            assertThat(ClusterTests.messageIds(two, PUSHES)).containsExactlyElementsOf(ids);

            // a counts an entry once it applied it, so its deliveries are in messagesOut when its reads are
            await().atMost(PROPAGATION).untilAsserted(() -> {
                Counts now = counts(a);
                assertThat(now.messages() - aConnected.messages()).as("pushes a read").isEqualTo(PUSHES);
                assertThat(now.delivered() - aConnected.delivered()).as("a delivered each to both sessions")
                        .isEqualTo((long) PUSHES * SESSIONS);
            });
            for (ClusterNode other : List.of(b, c)) {
                Counts connected = other == b ? bConnected : cConnected;
                await().atMost(PROPAGATION).untilAsserted(() -> assertThat(counts(other).messages()
                        - connected.messages()).as("pushes %s read", other.nodeId()).isEqualTo(readElsewhere()));
                Counts now = counts(other);
                assertThat(now.delivered() - connected.delivered()).as("%s delivered", other.nodeId()).isZero();
                assertThat(now.messagesIn() - connected.messagesIn()).as("publishes %s took in", other.nodeId())
                        .isEqualTo(PUSHES / 2);
            }
        }
    }

    /** One node's own counters, from its stats answer (this node first, as of now). */
    record Counts(long entries, long messages, long delivered, long messagesIn) {
    }

    static Counts counts(ClusterNode node) {
        JsonNode self = node.api().get("/api/v1/stats").path("nodes").get(0);
        assertThat(self.path("node").asString()).isEqualTo(node.nodeId());
        return new Counts(self.path("brokerEntriesRead").asLong(-1), self.path("brokerMessagesRead").asLong(-1),
                self.path("messagesOut").asLong(-1), self.path("messagesIn").asLong(-1));
    }
}
