package io.pushgate.ops;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Management;

import org.junit.jupiter.api.Test;
import org.springframework.context.SmartLifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The SIGTERM path itself (the context closing, as on SIGTERM): the drain stops before Actuator's
 * management server does, so from the drain on, while the context goes on closing, the management port
 * still answers: readiness DOWN, liveness UP. A lifecycle bean between the two, which waits for the
 * test, holds the context in that window.
 */
class ShutdownReadinessTests {

    /** Stops right after the drain (phase {@code MAX_VALUE}) and long before the management server. */
    public static final class HoldAfterDrain implements SmartLifecycle {

        static final CountDownLatch STOPPING = new CountDownLatch(1);
        static final CountDownLatch RELEASE = new CountDownLatch(1);
        private volatile boolean running;

        @Override
        public void start() {
            running = true;
        }

        @Override
        public void stop() {
            STOPPING.countDown();
            try {
                RELEASE.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running = false;
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public int getPhase() {
            return Integer.MAX_VALUE - 1;
        }
    }

    @Test
    void fromTheDrainOnReadinessIsDownLivenessUpAndTheManagementPortAnswers() throws Exception {
        // a plain class given as a source becomes a bean of this node only (no component scan finds it)
        ClusterNode node = ClusterNode.start("bye", "pushgate.broker=memory",
                "spring.main.sources=" + HoldAfterDrain.class.getName());
        try {
            Management management = Management.of(node.context());
            assertThat(management.get("/actuator/health/readiness").status()).isEqualTo(200);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(node::close);
            assertThat(HoldAfterDrain.STOPPING.await(20, TimeUnit.SECONDS)).as("the context is closing").isTrue();
            Management.Answer readiness = management.get("/actuator/health/readiness");
            assertThat(readiness.status()).isEqualTo(503);
            assertThat(readiness.json().path("components").path("node").path("status").asString()).isEqualTo("DOWN");
            assertThat(readiness.json().path("components").path("readinessState").path("status").asString())
                    .as("Spring Boot refuses traffic from the start of the close").isEqualTo("OUT_OF_SERVICE");
            Management.Answer liveness = management.get("/actuator/health/liveness");
            assertThat(liveness.status()).isEqualTo(200);
            assertThat(liveness.health()).isEqualTo("UP");

            HoldAfterDrain.RELEASE.countDown();
            closing.get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(catchThrowableOf(management)).as("the management port is closed with the context").isNotNull());
        } finally {
            HoldAfterDrain.RELEASE.countDown();
            node.close();
        }
    }

    private static Throwable catchThrowableOf(Management management) {
        try {
            management.get("/actuator/health/liveness");
            return null;
        } catch (IllegalStateException e) {
            return e;
        }
    }
}
