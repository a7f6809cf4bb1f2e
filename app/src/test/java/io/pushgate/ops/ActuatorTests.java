package io.pushgate.ops;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.pushgate.core.PushNode;
import io.pushgate.support.Api;
import io.pushgate.support.Management;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Actuator on its own port, over real HTTP and without credentials: the probes, readiness DOWN while the
 * node drains (liveness UP), {@code /actuator/info}, the Prometheus scrape, and nothing of it on the
 * public port. A context of its own (its node id), as the drain test leaves the node refusing sessions
 * until it reopens it.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.node.id=ops")
class ActuatorTests {

    static final Duration WAIT = Duration.ofSeconds(10);

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    Api api;

    @Autowired
    PushNode node;

    Management management() {
        return new Management(managementPort);
    }

    @Test
    void theManagementPortIsNotThePublicOne() {
        assertThat(managementPort).isPositive().isNotEqualTo(port);
    }

    @Test
    void livenessAndReadinessAreUpOnceStarted() {
        Management.Answer liveness = management().get("/actuator/health/liveness");
        Management.Answer readiness = management().get("/actuator/health/readiness");

        assertThat(liveness.status()).isEqualTo(200);
        assertThat(liveness.health()).isEqualTo("UP");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness.health()).isEqualTo("UP");
        assertThat(readiness.json().path("components").path("node").path("status").asString()).isEqualTo("UP");
        assertThat(readiness.json().path("components").path("broker").path("status").asString()).isEqualTo("UP");
        assertThat(management().get("/actuator/health").health()).as("the whole health, Redis not judged alone").isEqualTo("UP");
    }

    @Test
    void readinessIsDownWhileTheNodeDrainsAndLivenessStaysUp() throws Exception {
        String uid = uniqueUid("draining");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            client.nextOfType("welcome");
            // what GracefulDrain does on SIGTERM, without stopping the context
            CompletableFuture<Boolean> drain = CompletableFuture.supplyAsync(() -> node.drain(WAIT));
            try {
                await().atMost(WAIT).untilAsserted(() -> {
                    Management.Answer readiness = management().get("/actuator/health/readiness");
                    assertThat(readiness.status()).isEqualTo(503);
                    assertThat(readiness.health()).isEqualTo("DOWN");
                    assertThat(readiness.json().path("components").path("node").path("status").asString()).isEqualTo("DOWN");
                });
                Management.Answer liveness = management().get("/actuator/health/liveness");
                assertThat(liveness.status()).isEqualTo(200);
                assertThat(liveness.health()).isEqualTo("UP");
                assertThat(client.awaitClose().code()).as("the session was drained").isEqualTo(1001);
                assertThat(drain.get()).isTrue();
                assertThat(management().get("/actuator/health/readiness").status())
                        .as("a drained node stays out of rotation until it stops").isEqualTo(503);
            } finally {
                drain.join();
                node.reopen();
            }
        }
        await().atMost(WAIT).until(() -> management().get("/actuator/health/readiness").status() == 200);
    }

    @Test
    void infoNamesTheVersionTheNodeAndTheBroker() {
        Management.Answer info = management().get("/actuator/info");

        assertThat(info.status()).isEqualTo(200);
        assertThat(info.json().path("pushgate").path("node").asString()).isEqualTo("ops");
        assertThat(info.json().path("pushgate").path("broker").asString()).isEqualTo("memory");
        assertThat(info.json().path("pushgate").path("version").asString()).isNotBlank().isNotEqualTo("unknown");
    }

    @Test
    void prometheusAnswersTextWithJvmMeters() {
        Management.Answer scrape = management().get("/actuator/prometheus");

        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.contentType()).startsWith("text/plain");
        assertThat(scrape.body()).contains("jvm_memory_used_bytes{").contains("process_cpu_usage");
    }

    @Test
    void onlyHealthInfoAndPrometheusAreExposed() {
        for (String hidden : new String[] {"/actuator/env", "/actuator/beans", "/actuator/configprops", "/actuator/heapdump"}) {
            assertThat(management().get(hidden).status()).as(hidden).isEqualTo(404);
        }
    }

    @Test
    void thePublicPortHasNoActuator() {
        Management publicPort = new Management(port);
        for (String path : new String[] {"/actuator/health", "/actuator/health/readiness", "/actuator/info",
                "/actuator/prometheus", "/actuator"}) {
            assertThat(publicPort.get(path).status()).as(path).isEqualTo(404);
        }
    }

    @Test
    void theManagementPortServesNoPushEndpoints() {
        Api onManagementPort = new Api(managementPort);
        onManagementPort.get("/api/v1/stats", 404);
        onManagementPort.post("/api/v1/messages", """
                {"to":{"uids":["nobody"]},"event":"e","data":1}""", 404);
        assertThat(management().get("/sse?token=" + token(uniqueUid("mgmt"))).status()).isEqualTo(404);
        assertThatThrownBy(() -> WsTestClient.connect(onManagementPort.ws("token=" + token(uniqueUid("mgmt")))).close())
                .isInstanceOf(WsTestClient.HandshakeRefused.class);
    }
}
