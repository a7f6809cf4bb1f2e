package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterGapTests.accepts;
import static io.pushgate.cluster.ClusterTests.toUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import io.pushgate.core.Cursor;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * Redis loses a partition's data while a node holds a session welcomed further along the partition than any
 * node had received: the partition's new epoch may number from below that welcome, and the session must
 * still get every message of it, after a {@code reset}.
 */
class PartitionedRedisLossTests {

    static final int PARTITIONS = 4;

    RedisServer redis;
    ClusterNode b;

    @AfterEach
    void stop() {
        Closer.closeAll(b, redis);
    }

    @Test
    void aSessionWelcomedAheadOfTheNewEpochsNumbersGetsEveryMessageOfIt() {
        redis = RedisServer.start();
        b = ClusterNode.start("lb", redis, "pushgate.redis.partitions=" + PARTITIONS);
        String uid = TestSecrets.uniqueUid("loss");
        String nobody = ClusterNode.uidBeside(uid, "nobody", PARTITIONS);
        // numbers the partition on, through a node that then goes: no node that stays received them
        try (ClusterNode c = ClusterNode.start("lc", redis, "pushgate.redis.partitions=" + PARTITIONS)) {
            for (int i = 0; i < 5; i++) {
                c.api().publish(toUid(nobody, i));
            }
        }
        try (WsTestClient onB = WsTestClient.connect(b.api().ws("token=" + TestSecrets.token(uid)))) {
            Cursor welcome = Cursor.parse(onB.nextOfType("welcome").path("cursor").asString());
            assertThat(welcome.seq()).as("welcomed where the partition stands").isGreaterThanOrEqualTo(5);

            redis.command("FLUSHALL"); // b received nothing of the partition: its new epoch numbers from 0
            String probe = ClusterNode.uidBeside(uid, "probe", PARTITIONS);
            await().atMost(Duration.ofSeconds(30)).until(() -> accepts(b, toUid(probe, 0)));
            String id = b.api().publish(toUid(uid, 1)).path("id").asString();
            assertThat(Cursor.parse(id).seq()).as("numbered below the welcome").isLessThan(welcome.seq());

            JsonNode reset = onB.next(f -> "reset".equals(f.path("type").asString()) || id.equals(f.path("id").asString()));
            assertThat(reset.path("type").asString()).as("told first that Redis lost data").isEqualTo("reset");
            assertThat(onB.nextMessage().path("id").asString()).as("the new epoch's message, not skipped").isEqualTo(id);
        }
    }
}
