package io.pushgate.ops;

import java.time.Duration;
import java.util.List;

import io.pushgate.PushgateApplication;
import io.pushgate.api.AccessLog;
import io.pushgate.security.ApiKeys;
import io.pushgate.support.Api;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;
import io.pushgate.web.Audit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingInitializationContext;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.core.env.StandardEnvironment;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logging.structured.format.console=ecs}, as docs/operations.md tells users to ship logs: a node
 * started with it writes one JSON object a line (Elastic Common Schema), its access and audit lines
 * carry their values as fields, and neither the API key nor the JWT secret nor a client token is in any
 * line. The node is started here rather than by the test framework, so that its logging set-up is not
 * cached and shared with other test classes.
 */
@ExtendWith(OutputCaptureExtension.class)
class StructuredLogTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Where Spring Boot leaves the format for every later logging set-up in this JVM, once a context named one. */
    private static final String FORMAT_PROPERTY = "CONSOLE_LOG_STRUCTURED_FORMAT";

    /**
     * Logging is the JVM's, set up by the first context that starts and left as it is while one runs:
     * a test context cached by an earlier class would keep this node from setting up ECS, so the set-up
     * is dropped first.
     */
    @BeforeAll
    static void loggingToSetUpAgain() {
        LoggingSystem.get(StructuredLogTests.class.getClassLoader()).cleanUp();
    }

    /**
     * Puts the console back to Spring Boot's plain lines, or cached test contexts used after this class
     * would go on writing JSON: Spring Boot keeps the format in a system property that it sets only
     * when unset. Levels from application.properties are set again by hand, since only a starting
     * context applies them.
     */
    @AfterAll
    static void plainLogsAgain() {
        System.clearProperty(FORMAT_PROPERTY);
        LoggingSystem system = LoggingSystem.get(StructuredLogTests.class.getClassLoader());
        system.cleanUp();
        system.beforeInitialize();
        system.initialize(new LoggingInitializationContext(new StandardEnvironment()), null, null);
        system.setLogLevel("reactor.netty", LogLevel.WARN);
    }

    @Test
    void everyLineIsOneEcsJsonObjectWithoutSecrets(CapturedOutput output) {
        String uid = TestSecrets.uniqueUid("ecs");
        String token = TestSecrets.token(uid);
        try (ConfigurableApplicationContext node = new SpringApplicationBuilder(PushgateApplication.class).main(PushgateApplication.class)
                .initializers(StructuredLogTests::ownEventLoops).run(
                "--logging.structured.format.console=ecs",
                "--server.port=0", "--management.server.port=0", "--pushgate.node.id=ecs",
                "--spring.reactor.netty.shutdown-quiet-period=0s",
                "--pushgate.auth.jwt-secret=" + TestSecrets.JWT_SECRET, "--pushgate.api.keys=" + TestSecrets.API_KEY)) {
            Api api = new Api(Integer.parseInt(node.getEnvironment().getProperty("local.server.port")));
            try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token))) {
                client.nextOfType("welcome");
                api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":1}");
                api.delete("/api/v1/uids/" + uid + "/sessions", 200);
            }
        }

        List<String> lines = output.getOut().lines().filter(line -> !line.isBlank()).toList();
        assertThat(lines).as("what the node wrote").isNotEmpty();
        List<JsonNode> events = lines.stream().map(line -> {
            assertThat(line).as("one JSON object a line").startsWith("{").endsWith("}");
            return JSON.readTree(line);
        }).toList();

        JsonNode started = events.stream().filter(e -> e.path("message").asString().startsWith("Started PushgateApplication"))
                .findFirst().orElseThrow(() -> new AssertionError("no start-up line in " + lines));
        assertThat(started.path("@timestamp").asString()).matches("\\d{4}-\\d\\d-\\d\\dT.*");
        assertThat(started.path("log").path("level").asString()).isEqualTo("INFO");
        assertThat(started.path("ecs").path("version").isMissingNode()).isFalse();

        String keyId = ApiKeys.id(TestSecrets.API_KEY);
        JsonNode access = events.stream().filter(e -> e.path("log").path("logger").asString().equals(AccessLog.LOGGER))
                .filter(e -> e.path("message").asString().startsWith("POST /api/v1/messages ")).findFirst()
                .orElseThrow(() -> new AssertionError("no access line in " + lines));
        assertThat(access.path("http").path("response").path("status_code").asInt()).isEqualTo(200);
        assertThat(access.path("url").path("path").asString()).isEqualTo("/api/v1/messages");
        assertThat(access.path("pushgate").path("api_key_id").asString()).isEqualTo(keyId);

        JsonNode audit = events.stream().filter(e -> e.path("log").path("logger").asString().equals(Audit.LOGGER))
                .findFirst().orElseThrow(() -> new AssertionError("no audit line in " + lines));
        assertThat(audit.path("pushgate").path("actor").asString()).isEqualTo("api-key:" + keyId);
        assertThat(audit.path("pushgate").path("target").asString()).isEqualTo("uid:" + uid);

        assertThat(output.getAll()).doesNotContain(TestSecrets.API_KEY).doesNotContain(TestSecrets.JWT_SECRET)
                .doesNotContain(token);
    }

    /**
     * Event loops of the node's own, as {@code ClusterNode} gives its nodes: closing a context that used
     * Reactor Netty's global loops would take the servers of cached test contexts down with it.
     */
    private static void ownEventLoops(ConfigurableApplicationContext context) {
        ((GenericApplicationContext) context).registerBean("ownReactorResourceFactory", ReactorResourceFactory.class, () -> {
            ReactorResourceFactory factory = new ReactorResourceFactory();
            factory.setUseGlobalResources(false);
            factory.setShutdownQuietPeriod(Duration.ZERO);
            return factory;
        });
    }
}
