package io.pushgate.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.pushgate.core.PushNode;
import io.pushgate.support.Api;
import io.pushgate.support.Closer;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RedisServer;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code java -jar pushgate.jar status …} against real servers: one node, and two nodes on a real Redis.
 * It prints a line per node; {@code --json} parses; a refused key, an unreachable URL and an unhealthy
 * node (draining, or cut off from Redis) exit 1 with a message saying so; the key is never printed.
 */
class StatusCommandTests {

    static final Duration WAIT = Duration.ofSeconds(15);
    static final JsonMapper JSON = JsonMapper.builder().build();

    record Run(int status, String out, String err) {
    }

    /** Runs with no environment variables, so the machine's never give it a key. */
    static Run run(String... args) {
        return run(Map.of(), args);
    }

    static Run run(Map<String, Object> environment, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new StatusCommand(environment).run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        Run run = new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        assertThat(run.out() + run.err()).as("the key is never printed").doesNotContain(TestSecrets.API_KEY);
        return run;
    }

    /** The table's line for the node. */
    static String line(Run run, String node) {
        return run.out().lines().filter(l -> l.startsWith(node + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for node '" + node + "' in\n" + run.out() + run.err()));
    }

    @Test
    void anUnreachableUrlFailsWithAMessage() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: nothing listens there
        }

        Run run = run("--url", "http://127.0.0.1:" + port, "--api-key", TestSecrets.API_KEY);

        assertThat(run.status()).isEqualTo(Command.FAILED);
        assertThat(run.err()).contains("cannot reach http://127.0.0.1:" + port).contains("connection refused");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void withoutAKeyItSaysHowToGiveOne() {
        Run run = run("--url", "http://127.0.0.1:9");

        assertThat(run.status()).isEqualTo(Command.FAILED);
        assertThat(run.err()).contains("--api-key").contains("PUSHGATE_API_KEYS");
    }

    @Test
    void badArgumentsGetTheUsage() {
        Run run = run("--url");

        assertThat(run.status()).isEqualTo(Command.USAGE);
        assertThat(run.err()).contains("--url needs a value").contains("Usage: java -jar pushgate.jar status");
    }

    @Test
    void theJarKnowsTheCommand() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(Commands.all().run(new String[] {"status", "--json", "--json", "--bogus"}, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8))).hasValue(Command.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option '--bogus'");
    }

    @Test
    void uptimeReadsAsAPersonWouldSayIt() {
        assertThat(StatusCommand.uptime(45)).isEqualTo("45s");
        assertThat(StatusCommand.uptime(725)).isEqualTo("12m05s");
        assertThat(StatusCommand.uptime(3 * 3600 + 120)).isEqualTo("3h02m");
        assertThat(StatusCommand.uptime(4 * 86400 + 3 * 3600)).isEqualTo("4d03h");
    }

    @Nested
    @PushgateIntegrationTest
    class OneNode {

        @LocalServerPort
        int port;

        @Autowired
        Api api;

        @Autowired
        PushNode node;

        String url() {
            return "http://127.0.0.1:" + port;
        }

        @Test
        void printsTheNodeWithItsSessionsUptimeHeapAndBroker() {
            try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uniqueUid("status"))))) {
                client.nextOfType("welcome");

                Run run = run("--url", url(), "--api-key", TestSecrets.API_KEY);

                assertThat(run.status()).as(run.err()).isZero();
                assertThat(run.out()).startsWith("pushgate status: " + url() + ", 1 node, all healthy");
                assertThat(run.out().lines().skip(1).findFirst().orElseThrow())
                        .contains("node", "state", "uptime", "sessions", "websocket", "sse", "long-poll", "uids", "groups",
                                "in/s", "out/s", "dropped", "heap", "broker");
                String test = line(run, "test");
                assertThat(test).contains(" ok ").contains(" MiB").endsWith("memory").doesNotContain(" - ");
                assertThat(line(run, "total")).startsWith("total").contains(" ok ");
            }
        }

        @Test
        void jsonParsesAndCarriesTheSameNumbers() {
            try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uniqueUid("status-json"))))) {
                client.nextOfType("welcome");

                Run run = run("--url", url() + "/", "--api-key=" + TestSecrets.API_KEY, "--json");

                assertThat(run.status()).as(run.err()).isZero();
                JsonNode status = JSON.readTree(run.out());
                assertThat(status.path("healthy").asBoolean()).isTrue();
                assertThat(status.path("url").asString()).isEqualTo(url() + "/");
                JsonNode test = status.path("nodes").get(0);
                assertThat(test.path("node").asString()).isEqualTo("test");
                assertThat(test.path("sessionsByTransport").path("websocket").asInt()).isPositive();
                assertThat(test.path("uptimeSeconds").isIntegralNumber()).isTrue();
                assertThat(test.path("heapMaxBytes").asLong()).isGreaterThanOrEqualTo(test.path("heapUsedBytes").asLong()).isPositive();
                assertThat(test.path("broker").asString()).isEqualTo("memory");
                assertThat(test.path("accepting").asBoolean()).isTrue();
                assertThat(status.path("total").path("sessions").asInt()).isEqualTo(test.path("sessions").asInt());
            }
        }

        @Test
        void readsTheKeyFromTheServersOwnConfiguration() {
            Run run = run(Map.of("PUSHGATE_API_KEYS", TestSecrets.API_KEY), "--url", url());

            assertThat(run.status()).as(run.err()).isZero();
            assertThat(line(run, "test")).contains(" ok ");
        }

        @Test
        void aWrongKeyFailsWithAMessage() {
            Run run = run("--url", url(), "--api-key", "not-the-key-0123456789");

            assertThat(run.status()).isEqualTo(Command.FAILED);
            assertThat(run.err()).contains("refused the API key").contains("invalid-api-key");
            assertThat(run.out()).isEmpty();
        }

        @Test
        void aUrlThatIsNotPushgateFailsWithAMessage() {
            Run run = run("--url", url() + "/nothing-here", "--api-key", TestSecrets.API_KEY);

            assertThat(run.status()).isEqualTo(Command.FAILED);
            assertThat(run.err()).contains("/nothing-here/api/v1/stats answered 404");
        }

        @Test
        void aDrainingNodeIsUnhealthy() {
            node.drain(Duration.ZERO); // what GracefulDrain does on SIGTERM, without stopping the context
            try {
                Run run = run("--url", url(), "--api-key", TestSecrets.API_KEY);

                assertThat(run.status()).isEqualTo(Command.FAILED);
                assertThat(line(run, "test")).contains(" draining ");
                assertThat(run.out()).contains("1 unhealthy");
                assertThat(run.err()).contains("node 'test' is unhealthy: draining");

                Run json = run("--url", url(), "--api-key", TestSecrets.API_KEY, "--json");
                assertThat(json.status()).isEqualTo(Command.FAILED);
                assertThat(JSON.readTree(json.out()).path("healthy").asBoolean()).isFalse();
            } finally {
                node.reopen();
            }
            assertThat(run("--url", url(), "--api-key", TestSecrets.API_KEY).status()).isZero();
        }
    }

    /** Two nodes on one real redis-server. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class TwoNodesWithRedis {

        RedisServer redis;
        ClusterNode a;
        ClusterNode b;

        @BeforeAll
        void start() {
            redis = RedisServer.start();
            a = ClusterNode.start("status-a", redis);
            b = ClusterNode.start("status-b", redis);
        }

        @AfterAll
        void stop() {
            Closer.closeAll(a, b, redis);
        }

        String url(ClusterNode node) {
            return "http://127.0.0.1:" + node.port();
        }

        @Test
        void theTableListsBothNodesAndJsonParses() {
            try (WsTestClient onB = WsTestClient.connect(b.api().ws("token=" + token(uniqueUid("status-b"))))) {
                onB.nextOfType("welcome");
                // b's counters reach a with b's next heartbeat
                await().atMost(WAIT).untilAsserted(() -> {
                    Run run = run("--url", url(a), "--api-key", TestSecrets.API_KEY);
                    assertThat(run.status()).as(run.out() + run.err()).isZero();
                    assertThat(run.out()).contains("2 nodes, all healthy");
                    assertThat(line(run, "status-a")).contains(" ok ").contains(" up");
                    assertThat(line(run, "status-b")).contains(" ok ").contains(" MiB").contains(" up");
                    assertThat(line(run, "status-b").split("\\s+")[3]).as("b's sessions").isEqualTo("1");
                });

                Run json = run("--url", url(a), "--api-key", TestSecrets.API_KEY, "--json");
                assertThat(json.status()).as(json.err()).isZero();
                JsonNode status = JSON.readTree(json.out());
                assertThat(status.path("nodes").findValuesAsString("node")).containsExactly("status-a", "status-b");
                assertThat(status.path("nodes").get(1).path("uptimeSeconds").isIntegralNumber()).isTrue();
                assertThat(status.path("total").path("sessions").asInt()).isGreaterThanOrEqualTo(1);
            }
        }

        @Test
        void aNodeCutOffFromRedisIsUnhealthy() {
            await().atMost(WAIT).until(() -> run("--url", url(a), "--api-key", TestSecrets.API_KEY).status() == 0);

            redis.stop();
            try {
                await().atMost(WAIT).untilAsserted(() -> {
                    Run run = run("--url", url(a), "--api-key", TestSecrets.API_KEY);
                    assertThat(run.status()).isEqualTo(Command.FAILED);
                    assertThat(line(run, "status-a")).contains("broker degraded").contains(" degraded");
                    assertThat(run.err()).contains("node 'status-a' is unhealthy: broker degraded");
                });
            } finally {
                redis.restart();
            }
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(run("--url", url(a), "--api-key", TestSecrets.API_KEY).status()).isZero());
        }
    }
}
