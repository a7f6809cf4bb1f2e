package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.messageIds;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static io.pushgate.cluster.RedisTopologyBehaviour.awaitJoined;
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
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

import tools.jackson.databind.json.JsonMapper;

/**
 * Redis going back in time under connections that stay open: what the nodes meet when a replica that
 * lagged is promoted and the client routes to it without dropping a connection (Lettuce following a
 * Sentinel with {@code spring.data.redis.lettuce.read-from}, or a Redis Cluster failover with topology
 * refresh). Simulated on one server: the log and the sequence are put back to a copy taken earlier, as a
 * replica would have them. The nodes must notice (their log position is past Redis's sequence) and start a
 * new epoch, never take sequence numbers again that they already applied with another meaning: a message
 * under such a number would be skipped by every node, silently.
 */
class ClusterRedisRewindTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static RedisServer redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisServer.start();
        a = ClusterNode.start("wa", redis);
        b = ClusterNode.start("wb", redis);
        awaitJoined(a, b);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void aRedisBehindWhatTheNodesAppliedStartsANewEpochAndEveryPublishItAcceptsIsDelivered() {
        String uid = TestSecrets.uniqueUid("rewind");
        try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            String before = a.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(before);
            // the replica's copy: it will not get what follows
            String keys = ClusterNode.messageKeys(uid); // the one log's, or the uid's partition's
            String seq = redis.command("GET", keys + "seq");
            redis.command("COPY", keys + "log", keys + "log-replica", "REPLACE");
            List<String> lost = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                lost.add(a.api().publish(toUid(uid, i)).path("id").asString());
            }
            assertThat(messageIds(onB, 3)).as("delivered before the failover").containsExactlyElementsOf(lost);

            // the replica is promoted: the connections stay open, the data goes back
            redis.command("COPY", keys + "log-replica", keys + "log", "REPLACE");
            redis.command("SET", keys + "seq", seq);
            redis.command("DEL", keys + "log-replica");

            List<String> accepted = new ArrayList<>();
            await("a publish accepted again").atMost(ClusterTests.PROPAGATION).until(() -> {
                EntityExchangeResult<String> answer = a.api().client().post().uri("/api/v1/messages")
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(toUid(uid, 4)).exchange()
                        .expectBody(String.class).returnResult();
                if (answer.getStatus().value() != 200) {
                    return false; // 503: refused before anything was written
                }
                accepted.add(JSON.readTree(answer.getResponseBody()).path("id").asString());
                return true;
            });

            assertThat(onB.nextOfType("reset").path("cursor").asString())
                    .as("what Redis lost may have been read: the client is told to reload").isNotEmpty();
            String afterId = accepted.get(0);
            assertThat(onB.nextMessage().path("id").asString()).as("the accepted publish, not skipped").isEqualTo(afterId);
            assertThat(afterId.substring(0, afterId.indexOf('-'))).as("a new epoch: no sequence number reused")
                    .isNotEqualTo(before.substring(0, before.indexOf('-')));
            RedisTopologyBehaviour.assertDeliveredOnce(b, onB, uid);
        }
    }
}
