package io.pushgate.cluster;

import java.time.Duration;
import java.util.List;

import io.pushgate.core.History;
import io.pushgate.core.history.InMemoryHistory;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * In a cluster, what {@code ttl} holds for many offline uids leave in memory and in Redis: every node
 * keeps within the same history and hold caps as a node alone, and Redis keeps the log within its
 * length and no key per uid or per hold.
 */
class ClusterHistoryBoundsTests {

    static final int LOG_LENGTH = 300;
    static final int MAX_TOTAL = 200;
    static final int MAX_HELD = 50;
    static final int UIDS = 2000;

    static RedisServer redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisServer.start();
        String[] settings = {"pushgate.redis.log-length=" + LOG_LENGTH, "pushgate.history.max-messages=5",
                "pushgate.history.max-total-messages=" + MAX_TOTAL, "pushgate.history.max-held-messages=" + MAX_HELD};
        a = ClusterNode.start("a", redis, settings);
        b = ClusterNode.start("b", redis, settings);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void holdsForThousandsOfOfflineUidsStayWithinTheCapsOnEveryNodeAndInRedis() {
        String uid = TestSecrets.uniqueUid("away");
        String lastId = null;
        for (int batch = 0; batch < UIDS / 100; batch++) {
            StringBuilder body = new StringBuilder("[");
            for (int i = 0; i < 100; i++) {
                body.append(i == 0 ? "" : ",").append("{\"to\":{\"uids\":[\"").append(uid).append(batch * 100 + i)
                        .append("\"]},\"data\":").append(batch * 100 + i).append(",\"ttl\":3600}");
            }
            JsonNode answers = a.api().post("/api/v1/messages:batch", body.append(']').toString(), 200);
            lastId = answers.get(answers.size() - 1).path("id").asString();
        }

        if (ClusterNode.PARTITIONS == 1) {
            for (ClusterNode node : List.of(a, b)) {
                InMemoryHistory history = (InMemoryHistory) node.bean(History.class);
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    assertThat(history.heldCount()).as("holds on %s", node).isEqualTo(MAX_HELD);
                    assertThat(history.size()).as("history on %s", node).isEqualTo(MAX_TOTAL);
                });
            }
            long logLength = Long.parseLong(redis.command("XLEN", "{pushgate}:log"));
            assertThat(logLength).as("entries in the Redis log (trimmed by whole nodes of 100)").isLessThanOrEqualTo(LOG_LENGTH + 100);
            assertThat(Long.parseLong(redis.command("DBSIZE"))).as("keys in Redis: none per uid or per hold").isLessThanOrEqualTo(8);
        } else {
            // a partitioned log holds for offline uids in Redis, not on every node: a list per held uid, at most
            // max-held-messages / partitions uids in each partition, and no node receives what no session reads
            int partitions = ClusterNode.PARTITIONS;
            for (ClusterNode node : List.of(a, b)) {
                InMemoryHistory history = (InMemoryHistory) node.bean(History.class);
                assertThat(history.heldCount()).as("holds on %s", node).isZero();
                assertThat(history.size()).as("history on %s", node).isZero();
            }
            long heldLists = 0;
            for (int k = 0; k < partitions; k++) {
                String prefix = "{pushgate:" + k + "}:";
                assertThat(Long.parseLong(redis.command("XLEN", prefix + "log"))).as("entries in partition %s's log", k)
                        .isLessThanOrEqualTo(LOG_LENGTH + 100);
                long holders = Long.parseLong(redis.command("ZCARD", prefix + "holders"));
                assertThat(holders).as("uids partition %s holds for", k).isLessThanOrEqualTo(MAX_HELD / partitions);
                heldLists += holders;
            }
            // the control log's keys, each partition's epoch, seq, base, log and holders, and the held lists
            assertThat(Long.parseLong(redis.command("DBSIZE"))).as("keys in Redis: bounded whatever the uids")
                    .isLessThanOrEqualTo(8 + 5L * partitions + heldLists);
        }

        try (WsTestClient newest = WsTestClient.connect(b.api().ws("token=" + TestSecrets.token(uid + (UIDS - 1))))) {
            newest.nextOfType("welcome");
            assertThat(newest.nextMessage().path("id").asString()).isEqualTo(lastId);
        }
        String oldestUid = uid + 0;
        try (WsTestClient oldest = WsTestClient.connect(b.api().ws("token=" + TestSecrets.token(oldestUid)))) {
            oldest.nextOfType("welcome");
            String live = b.api().publish("{\"to\":{\"uids\":[\"" + oldestUid + "\"]},\"data\":\"now\"}").path("id").asString();
            assertThat(oldest.nextMessage().path("id").asString()).as("the oldest hold went first").isEqualTo(live);
        }
    }
}
