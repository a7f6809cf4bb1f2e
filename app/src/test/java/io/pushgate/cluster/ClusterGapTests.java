package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import tools.jackson.databind.JsonNode;

/**
 * A node that cannot read log entries it missed: they were trimmed from the Redis log while it was cut
 * off, or Redis lost them. Its clients get a {@code reset}, never a silent gap, and a cursor from before
 * the loss is answered with a reset too.
 *
 * <p>Node {@code gb} logs in to Redis as its own user, so the test cuts it off alone by taking that user's
 * commands away ({@code ACL SETUSER nodeb -@all}) and dropping its connections: every call is refused, as
 * for a node partitioned from Redis, while {@code ga} goes on publishing.
 */
class ClusterGapTests {

    /** How long a node may take to find Redis again and catch up, on a slow, loaded machine. */
    static final Duration HEAL = Duration.ofSeconds(30);
    static final String PASSWORD = "gap-tests-password";
    static final int LOG_LENGTH = 20;

    RedisServer redis;
    ClusterNode a;
    ClusterNode b;

    @BeforeEach
    void startCluster() {
        redis = RedisServer.start();
        redis.command("CONFIG", "SET", "stream-node-max-entries", "10"); // so MAXLEN ~ trims in small steps
        redis.command("ACL", "SETUSER", "nodeb", "on", ">" + PASSWORD, "~*", "&*", "+@all");
        a = ClusterNode.start("ga", redis, "pushgate.redis.log-length=" + LOG_LENGTH);
        b = ClusterNode.start("gb", redis, "pushgate.redis.log-length=" + LOG_LENGTH,
                "spring.data.redis.username=nodeb", "spring.data.redis.password=" + PASSWORD);
    }

    @AfterEach
    void stopCluster() {
        Closer.closeAll(b, a, redis);
    }

    @Test
    void aNodeCutOffForLongerThanTheLogLastsResetsItsClientsInsteadOfSkippingWhatWasTrimmed() {
        String uid = TestSecrets.uniqueUid("trimmed");
        try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 1);
            String before = a.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(before);

            cutOffB();
            int burst = LOG_LENGTH * 6;
            for (int i = 1; i <= burst; i++) {
                a.api().publish(toUid(uid, i));
            }
            assertThat(Long.parseLong(redis.command("XLEN", ClusterNode.messageKeys(uid) + "log")))
                    .as("the log no longer holds all that b missed").isLessThan(burst);
            reconnectB();

            JsonNode reset = onB.next(f -> "reset".equals(f.path("type").asString()));
            assertThat(reset.path("cursor").asString()).isNotEmpty();
            String after = a.api().publish(toUid(uid, burst + 1)).path("id").asString();
            assertThat(onB.next(f -> after.equals(f.path("id").asString())).path("type").asString())
                    .as("delivery goes on after the reset").isEqualTo("message");

            try (WsTestClient resumed = WsTestClient.connect(b.api().ws("token=" + TestSecrets.token(uid) + "&cursor=" + before))) {
                resumed.nextOfType("welcome");
                assertThat(resumed.next(f -> !"ping".equals(f.path("type").asString())).path("type").asString())
                        .as("a cursor from before the gap resumes with a reset on the node that missed it")
                        .isEqualTo("reset");
            }
            assertThat(gapResets(b)).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void whenRedisLosesEntriesANodeHadNotReadItsClientsGetAResetAndOldCursorsAreNotReused() {
        String uid = TestSecrets.uniqueUid("flushed");
        try (WsTestClient onB = ws(b, TestSecrets.token(uid)); WsTestClient onA = ws(a, TestSecrets.token(uid))) {
            awaitSessions(a, uid, 2);
            String before = a.api().publish(toUid(uid, 0)).path("id").asString();
            assertThat(onB.nextMessage().path("id").asString()).isEqualTo(before);
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(before);

            cutOffB();
            String lost = a.api().publish(toUid(uid, 1)).path("id").asString(); // b never reads it
            assertThat(onA.nextMessage().path("id").asString()).isEqualTo(lost);
            redis.command("FLUSHALL"); // Redis loses its data (ACL users are not data: b may log in again)
            reconnectB();

            JsonNode seen = onB.next(f -> "reset".equals(f.path("type").asString()) || lost.equals(f.path("id").asString()));
            assertThat(seen.path("type").asString()).as("the lost message cannot reach b: a reset, not silence")
                    .isEqualTo("reset");

            await().atMost(HEAL).until(() -> accepts(a, toUid(uid, 2)));
            String next = b.api().publish(toUid(uid, 3)).path("id").asString();
            String resetCursor = seen.path("cursor").asString(); // where the client reloads: the last reset's
            for (JsonNode f = onB.next(); !next.equals(f.path("id").asString()); f = onB.next()) {
                if ("reset".equals(f.path("type").asString())) {
                    resetCursor = f.path("cursor").asString();
                }
            }
            assertThat(epochOf(next)).as("Redis lost data: a new epoch, so no cursor number means two things")
                    .isNotEqualTo(epochOf(before));
            // a client that reloaded after the reset resumes from its cursor: nothing after it is missing
            try (WsTestClient reloaded = WsTestClient.connect(b.api().ws("token=" + TestSecrets.token(uid) + "&cursor=" + resetCursor))) {
                reloaded.nextOfType("welcome");
                assertThat(reloaded.next(f -> "reset".equals(f.path("type").asString()) || next.equals(f.path("id").asString()))
                        .path("type").asString()).as("the message after the reset, replayed from its cursor").isEqualTo("message");
            }

            for (ClusterNode node : new ClusterNode[] {a, b}) {
                try (WsTestClient resumed = WsTestClient.connect(node.api().ws("token=" + TestSecrets.token(uid) + "&cursor=" + before))) {
                    resumed.nextOfType("welcome");
                    assertThat(resumed.next(f -> !"ping".equals(f.path("type").asString())).path("type").asString())
                            .as("a cursor of the lost epoch on %s", node).isEqualTo("reset");
                }
            }
        }
    }

    /**
     * Takes b's Redis user's commands away and waits until b says it cannot publish and its log reader is
     * no longer blocked in a read it sent before (that read could still return what is published next).
     */
    private void cutOffB() {
        redis.command("ACL", "SETUSER", "nodeb", "-@all");
        String probe = TestSecrets.uniqueUid("probe");
        await().atMost(HEAL).untilAsserted(() ->
                assertThat(b.api().post("/api/v1/messages", toUid(probe, 0), 503).path("type").asString())
                        .isEqualTo("urn:pushgate:problem:cluster-degraded"));
        await().atMost(HEAL).until(() -> java.util.Arrays.stream(redis.command("CLIENT", "LIST").split("\n"))
                .noneMatch(client -> client.contains(" user=nodeb ") && client.contains(" flags=b ")));
        // a partitioned log's pub/sub connection needs no command to go on receiving: it is cut too, and
        // cannot subscribe again until b's user has its commands back
        redis.command("CLIENT", "KILL", "USER", "nodeb");
    }

    private void reconnectB() {
        redis.command("ACL", "SETUSER", "nodeb", "+@all");
        await().atMost(HEAL).until(() -> accepts(b, toUid(TestSecrets.uniqueUid("probe"), 0)));
    }

    /** Publishes once; reads the body whatever the status, so nothing leaks. */
    static boolean accepts(ClusterNode node, String body) {
        return node.api().client().post().uri("/api/v1/messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectBody().returnResult().getStatus().value() == 200;
    }

    static long gapResets(ClusterNode node) {
        for (JsonNode n : node.api().get("/api/v1/stats").path("nodes")) {
            if (n.path("node").asString().equals(node.nodeId())) {
                return n.path("gapResets").asLong();
            }
        }
        throw new AssertionError("no stats for " + node);
    }

    static String epochOf(String cursor) {
        return cursor.substring(0, cursor.indexOf('-'));
    }
}
