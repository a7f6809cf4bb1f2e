package io.pushgate.cluster;

import static io.pushgate.cluster.ClusterTests.awaitSessions;
import static io.pushgate.cluster.ClusterTests.toUid;
import static io.pushgate.cluster.ClusterTests.ws;
import static io.pushgate.cluster.RedisTopologyBehaviour.awaitJoined;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisSentinel;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Publishing all through an operator's {@code SENTINEL FAILOVER}. After the switch the old master still
 * takes writes until the Sentinel demotes it (some seconds): a node still connected to it (by default,
 * until the demotion drops its connections; with {@code spring.data.redis.lettuce.read-from=upstream},
 * until Lettuce follows the Sentinel's switch) appends there, and the promoted replica never gets those
 * entries. Whatever happens, no publish answered 200 may be silently lost: each reaches the client, once,
 * in order, and when the nodes move to a new epoch (Redis lost entries they had applied) the client is
 * told to reset first.
 */
class SentinelFailoverWindowTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @ParameterizedTest(name = "read-from={0}")
    @ValueSource(strings = {"(unset)", "upstream"})
    void everyPublishAcceptedAroundAFailoverReachesTheClientOnceWithAResetWhereTheEpochChanged(String readFrom) {
        RedisServer first = RedisServer.start();
        RedisServer second = null;
        RedisSentinel sentinel = null;
        ClusterNode a = null;
        ClusterNode b = null;
        try {
            second = RedisServer.startReplicaOf(first);
            sentinel = RedisSentinel.start(first, second);
            List<String> settings = new ArrayList<>(List.of(
                    "spring.data.redis.sentinel.master=" + RedisSentinel.MASTER,
                    "spring.data.redis.sentinel.nodes=" + sentinel.nodes()));
            if (!readFrom.startsWith("(")) {
                settings.add("spring.data.redis.lettuce.read-from=" + readFrom);
            }
            a = ClusterNode.start("xa", settings.toArray(String[]::new));
            b = ClusterNode.start("xb", settings.toArray(String[]::new));
            awaitJoined(a, b);
            String uid = TestSecrets.uniqueUid("window");
            try (WsTestClient onB = ws(b, TestSecrets.token(uid))) {
                awaitSessions(a, uid, 1);
                // publish n is accepted (200, its id), refused (503, not done) or of unknown outcome (503
                // "outcome":"unknown": the connection dropped with the script call in flight)
                Map<Integer, String> accepted = new TreeMap<>();
                Set<Integer> unknown = new HashSet<>();
                int[] next = {0};
                accepted.put(next[0]++, a.api().publish(toUid(uid, 0)).path("id").asString());

                sentinel.failover();
                ClusterNode publisher = a;
                // one publish per poll until the old master is demoted and a publish is accepted after that
                await("the old master demoted, then a publish accepted").atMost(RedisSentinel.FAILOVER_WAIT)
                        .pollInterval(Duration.ofMillis(200)).until(() -> {
                            boolean demoted = "slave".equals(first.role());
                            int n = next[0]++;
                            String id = tryPublish(publisher, toUid(uid, n), n, unknown);
                            if (id != null) {
                                accepted.put(n, id);
                            }
                            return demoted && id != null;
                        });

                List<String> received = new ArrayList<>();
                String epoch = epoch(accepted.get(0));
                String last = accepted.get(next[0] - 1);
                while (!received.contains(last)) {
                    JsonNode frame = onB.next(f -> "message".equals(f.path("type").asString())
                            || "reset".equals(f.path("type").asString()));
                    if ("reset".equals(frame.path("type").asString())) {
                        epoch = null; // a reset: the next message may be of another epoch
                        continue;
                    }
                    String id = frame.path("id").asString();
                    assertThat(epoch == null || epoch.equals(epoch(id)))
                            .as("%s: a message of a new epoch only after a reset", id).isTrue();
                    epoch = epoch(id);
                    int n = frame.path("data").asInt();
                    if (unknown.contains(n)) {
                        unknown.remove(n); // it was done after all: once at most
                        continue;
                    }
                    received.add(id);
                }
                assertThat(received).as("every publish answered 200, once, in order").containsExactlyElementsOf(accepted.values());
            }
        } finally {
            Closer.closeAll(b, a, sentinel, second, first);
        }
    }

    /** The publish's id when answered 200; null on a 503, noting {@code n} as unknown when the problem says so. */
    private static String tryPublish(ClusterNode node, String body, int n, Set<Integer> unknown) {
        EntityExchangeResult<String> answer = node.api().client().post().uri("/api/v1/messages")
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectBody(String.class).returnResult();
        if (answer.getStatus().value() != 200) {
            assertThat(answer.getStatus().value()).as(answer.getResponseBody()).isEqualTo(503);
            if (answer.getResponseBody() != null && answer.getResponseBody().contains("\"outcome\":\"unknown\"")) {
                unknown.add(n);
            }
            return null;
        }
        return JSON.readTree(answer.getResponseBody()).path("id").asString();
    }

    private static String epoch(String id) {
        return id.substring(0, id.indexOf('-'));
    }
}
