package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static io.pushgate.cluster.RedisTopologyBehaviour.assertDeliveredOnce;
import static io.pushgate.cluster.RedisTopologyBehaviour.awaitJoined;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions.RefreshTrigger;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisClusterServers;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.http.MediaType;

import tools.jackson.databind.JsonNode;

/**
 * Two nodes on a Redis Cluster of three masters with one replica each, through failovers of the master
 * that holds pushgate's one slot (the hash tag {@code {pushgate}}): an operator's {@code CLUSTER FAILOVER}
 * on its replica; the death ({@code SIGKILL}) of the master that leaves, whose replica (the master of the
 * first test, demoted) the cluster promotes by itself after {@code cluster-node-timeout}; and the death of
 * a master whose replica lacks writes the nodes had applied. The tests run in that order: each needs the
 * replica the one before leaves.
 *
 * <p>The nodes run with {@code spring.data.redis.cluster.nodes} and nothing else. Lettuce 7 has every
 * adaptive topology refresh trigger on by default ({@code spring.data.redis.lettuce.cluster.refresh.adaptive}
 * is deprecated in Spring Boot 4.1 for that reason), which follows an operator's failover at once: the
 * old master answers {@code MOVED}. A master's death triggers a refresh only through the reconnects to
 * it, whose back-off makes those refreshes sparse; pushgate therefore sets a periodic refresh
 * (every 2 s) when the user sets none, and the tests bound the time from the promotion until both nodes
 * accept publishes by it. Each failover's times are printed ({@code Redis Cluster failover (...)}), for
 * docs/cluster.md.
 *
 * <p><b>Redis behind the nodes.</b> An operator's failover loses nothing: the replica catches up with its
 * master (which holds its writers meanwhile) before it takes over, so the history epoch stays and no client
 * gets a reset. A master's death loses the writes it had not yet sent to its replica (replication is
 * asynchronous). In the second test the replica is in step when its master dies (the test waits for equal
 * replication offsets), so nothing is lost and the epoch stays; the test still asserts that a message of
 * a new epoch would come after a reset. The third test makes the loss certain: its replica is cut off
 * before three publishes, then the master dies. The nodes reconnect to the promoted replica, find its
 * sequence behind what they applied (the resync's {@code INIT} script, or {@code PUSHGATE_BEHIND} from
 * the append script on a connection that never dropped), and start a new epoch: the client gets a
 * {@code reset}, then the next publish, and the lost messages' cursors resume with a {@code reset}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterFailoverTests {

    /** The key whose slot holds all of pushgate's keys. */
    private static final String LOG = "{pushgate}:log";
    /** The topology refresh period pushgate sets when the user sets none (RedisBrokerConfig). */
    private static final Duration REFRESH_PERIOD = Duration.ofSeconds(2);
    /**
     * After a master's death, from the replica's promotion until both nodes accept publishes: the next
     * periodic topology refresh, then each node's resync (a few round trips) and this test's probes.
     */
    private static final Duration FOLLOW_WITHIN = REFRESH_PERIOD.plusSeconds(3);
    /** An operator's failover, from {@code CLUSTER FAILOVER} until both nodes accept publishes (about 1 s measured). */
    private static final Duration OPERATOR_FAILOVER_WITHIN = Duration.ofSeconds(5);

    static RedisClusterServers redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisClusterServers.startWithReplicas();
        a = ClusterNode.start("rfa", "spring.data.redis.cluster.nodes=" + redis.nodes());
        b = ClusterNode.start("rfb", "spring.data.redis.cluster.nodes=" + redis.nodes());
        awaitJoined(a, b);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    @Order(0)
    void theNodesRedisClientRefreshesTheClusterTopologyOnRedirectsReconnectsAndEveryTwoSecondsUnlessToldOtherwise() {
        for (ClusterNode node : List.of(a, b)) {
            ClusterTopologyRefreshOptions refresh = refreshOptions(node);
            assertThat(refresh.getAdaptiveRefreshTriggers()).as("Lettuce's defaults, kept").containsExactlyInAnyOrderElementsOf(
                    ClusterTopologyRefreshOptions.DEFAULT_ADAPTIVE_REFRESH_TRIGGERS);
            assertThat(refresh.getAdaptiveRefreshTriggers()).contains(RefreshTrigger.MOVED_REDIRECT, RefreshTrigger.PERSISTENT_RECONNECTS);
            assertThat(refresh.isPeriodicRefreshEnabled()).isTrue();
            assertThat(refresh.getRefreshPeriod()).isEqualTo(REFRESH_PERIOD);
        }
        try (ClusterNode own = ClusterNode.start("rfc", "spring.data.redis.cluster.nodes=" + redis.nodes(),
                "spring.data.redis.lettuce.cluster.refresh.period=7s")) {
            assertThat(refreshOptions(own).getRefreshPeriod()).as("the user's period wins").isEqualTo(Duration.ofSeconds(7));
        }
    }

    /** The node's Redis client options, which pushgate's own customizers must leave cluster options. */
    private static ClusterTopologyRefreshOptions refreshOptions(ClusterNode node) {
        LettuceConnectionFactory factory = node.bean(LettuceConnectionFactory.class);
        assertThat(factory.getClientConfiguration().getClientOptions()).get().isInstanceOf(ClusterClientOptions.class);
        ClusterClientOptions options = (ClusterClientOptions) factory.getClientConfiguration().getClientOptions().get();
        assertThat(options.getDisconnectedBehavior()).isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
        return options.getTopologyRefreshOptions();
    }

    @Test
    @Order(1)
    void afterAnOperatorsClusterFailoverThePromotedReplicaCarriesTheClusterAndAPublishIsDeliveredOnce() {
        String uid = TestSecrets.uniqueUid("cfailover");
        try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            int old = redis.masterOf(LOG);
            String before = a.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(before);
            redis.awaitReplicasInSync();

            long start = System.nanoTime();
            int promoted = redis.failover(LOG);
            long promotedAfter = millisSince(start);
            awaitAcceptingPublishes(uid);
            long acceptingAfter = millisSince(start);
            report("CLUSTER FAILOVER", promotedAfter, acceptingAfter);
            // the old master's MOVED makes the client follow at once; the nodes resync once (about 0.5 s here)
            assertThat(acceptingAfter).as("ms from the failover until publishes are accepted")
                    .isLessThanOrEqualTo(OPERATOR_FAILOVER_WITHIN.toMillis());

            assertThat(promoted).isNotEqualTo(old);
            assertThat(redis.role(old)).as("the old master demoted").isEqualTo("slave");
            String once = a.api().publish(toUid(uid, 1)).path("id").asString();
            assertThat(epoch(once)).as("nothing lost: the same history epoch").isEqualTo(epoch(before));
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(once);
            assertDeliveredOnce(a, onB, uid);
            awaitSessions(a, uid, 1);
            assertThat(redis.command(promoted, "ZRANGE", "{pushgate}:nodes", "0", "-1")).contains("rfa", "rfb");
            assertThat(redis.command(promoted, "HLEN", "{pushgate}:s:rfb")).isEqualTo("1");
        }
    }

    @Test
    @Order(2)
    void whenTheMasterDiesItsReplicaIsPromotedAndTheNodesDeliverThroughItWithNoSilentGap() {
        String uid = TestSecrets.uniqueUid("cmasterdies");
        try (WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(b, uid, 1);
            int dying = redis.masterOf(LOG);
            String before = b.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(before);
            redis.awaitReplicasInSync();

            long start = System.nanoTime();
            redis.kill(dying); // its clients' connections reset; the others deem it failed after the node timeout
            int promoted = redis.awaitPromotion(LOG, dying);
            long promotedAfter = millisSince(start);
            awaitAcceptingPublishes(uid);
            long acceptingAfter = millisSince(start);
            report("master killed", promotedAfter, acceptingAfter);
            assertThat(acceptingAfter - promotedAfter).as("ms from the promotion until publishes are accepted")
                    .isLessThanOrEqualTo(FOLLOW_WITHIN.toMillis());

            assertThat(promoted).isNotEqualTo(dying);
            String once = b.api().publish(toUid(uid, 1)).path("id").asString();
            String marker = b.api().publish(toUid(uid, 2)).path("id").asString();
            List<JsonNode> frames = new ArrayList<>();
            while (frames.isEmpty() || !marker.equals(frames.get(frames.size() - 1).path("id").asString())) {
                frames.add(onA.next(f -> "message".equals(f.path("type").asString())
                        || "reset".equals(f.path("type").asString())));
            }
            List<String> messages = frames.stream().filter(f -> "message".equals(f.path("type").asString()))
                    .map(f -> f.path("id").asString()).toList();
            assertThat(messages).as("the publish once, then the marker").containsExactly(once, marker);
            boolean reset = frames.stream().anyMatch(f -> "reset".equals(f.path("type").asString()));
            if (!epoch(once).equals(epoch(before))) {
                assertThat(reset).as("Redis lost entries the nodes had applied: a new epoch, after a reset").isTrue();
            }
            System.out.println("Redis Cluster failover (master killed): epoch " + epoch(before) + " -> " + epoch(once)
                    + (reset ? ", the client got a reset" : ", no reset"));
            awaitSessions(b, uid, 1); // presence restated on the promoted master
            assertThat(redis.command(promoted, "HLEN", "{pushgate}:s:rfa")).isEqualTo("1");
            assertThat(redis.command(promoted, "ZRANGE", "{pushgate}:nodes", "0", "-1")).contains("rfa", "rfb");
        }
    }

    /**
     * The master dies with writes its replica never got: the replica is cut off from it (and kept off),
     * three publishes are accepted (200) and delivered, then the master is killed and the cluster promotes
     * the replica, which lacks them. The nodes reconnect to it, find its sequence behind what they applied,
     * and start a new history epoch: the client gets a {@code reset} before any message of the new epoch,
     * a cursor from before the loss is answered with a {@code reset} (never a silent gap), and a publish
     * after it is delivered once. The replica comes from the node the second test killed, restarted: it
     * rejoins as the promoted master's replica.
     */
    @Test
    @Order(3)
    void whenTheMasterDiesWithWritesItsReplicaNeverGotTheClientsAreResetNotSilentlyShortOfThem() {
        String uid = TestSecrets.uniqueUid("clost");
        String messages = ClusterNode.messageKeys(uid) + "log"; // the one log, or the uid's partition's
        int master = redis.masterOf(messages);
        for (int port : redis.ports()) {
            if (!redis.isRunning(port)) {
                redis.restart(port); // the master the second test killed: back as a replica of its successor
            }
        }
        redis.awaitReplicasInSync();
        int replica = redis.replicaOf(master);
        String token = TestSecrets.token(uid);
        List<String> lost = new ArrayList<>();
        try (WsTestClient onA = ws(a, token)) {
            awaitSessions(b, uid, 1);
            String before = b.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(before);
            redis.awaitReplicasInSync();

            redis.cutOffReplica(replica);
            for (int i = 1; i <= 3; i++) {
                lost.add(b.api().publish(toUid(uid, i)).path("id").asString());
            }
            for (String id : lost) {
                assertThat(onA.nextMessage().path("id").asString()).as("accepted and delivered before the loss").isEqualTo(id);
            }
            long start = System.nanoTime();
            redis.kill(master);
            int promoted = redis.awaitPromotion(messages, master);
            long promotedAfter = millisSince(start);
            assertThat(promoted).isEqualTo(replica);
            awaitAcceptingPublishes(uid);
            long acceptingAfter = millisSince(start);
            report("master killed, replica behind", promotedAfter, acceptingAfter);
            assertThat(acceptingAfter - promotedAfter).as("ms from the promotion until publishes are accepted")
                    .isLessThanOrEqualTo(FOLLOW_WITHIN.toMillis());

            String after = b.api().publish(toUid(uid, 9)).path("id").asString();
            assertThat(epoch(after)).as("Redis lost entries the nodes applied: a new history epoch").isNotEqualTo(epoch(before));
            JsonNode reset = onA.next(f -> "message".equals(f.path("type").asString())
                    || "reset".equals(f.path("type").asString()));
            assertThat(reset.path("type").asString()).as("a reset before any message of the new epoch: " + reset)
                    .isEqualTo("reset");
            assertThat(onA.nextMessage().path("id").asString()).as("the publish after the loss, not skipped").isEqualTo(after);
            assertDeliveredOnce(b, onA, uid);
            awaitSessions(b, uid, 1); // presence restated on the promoted replica
            assertThat(redis.command(redis.masterOf(LOG), "HLEN", "{pushgate}:s:rfa")).isEqualTo("1");
        }
        // a cursor from a message Redis no longer has resumes with a reset, on either node
        for (ClusterNode node : List.of(a, b)) {
            try (WsTestClient resumed = WsTestClient.connect(node.api().ws("token=" + token + "&cursor=" + lost.get(2)))) {
                resumed.nextOfType("welcome");
                assertThat(resumed.next(f -> !"ping".equals(f.path("type").asString())).path("type").asString())
                        .as("%s: a cursor from before the loss resumes with a reset", node).isEqualTo("reset");
            }
        }
    }

    /** Waits until each node answers a publish 200 again (not 503): it found the slot's master and is in step. */
    /** @param beside a uid whose log (the one log, or its partition) the probes go to */
    private static void awaitAcceptingPublishes(String beside) {
        String nobody = ClusterNode.uidBeside(beside, "probe"); // no session: the probes reach no client
        for (ClusterNode node : List.of(a, b)) {
            await(node + " accepting publishes").atMost(RedisClusterServers.FAILOVER_WAIT).until(() ->
                    node.api().client().post().uri("/api/v1/messages").contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(toUid(nobody, 0)).exchange().expectBody().returnResult().getStatus().value() == 200);
        }
    }

    private static void report(String what, long promotedAfter, long acceptingAfter) {
        System.out.println("Redis Cluster failover (" + what + "): replica serving the slot after " + promotedAfter
                + " ms, both nodes accepting publishes after " + acceptingAfter + " ms");
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static String epoch(String id) {
        return id.substring(0, id.indexOf('-'));
    }
}
