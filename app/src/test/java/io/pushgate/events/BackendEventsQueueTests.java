package io.pushgate.events;

import static io.pushgate.support.TestBackend.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pushgate.support.Api;
import io.pushgate.support.Management;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestBackend;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A backend that stays down fills the node's bounded queue: what does not fit is dropped and counted, what
 * fits arrives when the backend is back, and clients are served throughout.
 */
@PushgateIntegrationTest
class BackendEventsQueueTests {

    static final TestBackend backend = TestBackend.start();

    @DynamicPropertySource
    static void pointAtBackend(DynamicPropertyRegistry registry) {
        backend.register(registry);
        registry.add("pushgate.events.queue", () -> "6");
        registry.add("pushgate.events.batch", () -> "2");
        registry.add("pushgate.events.types", () -> "connect");
    }

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    @Test
    void whatDoesNotFitTheQueueIsDroppedAndCountedAndTheRestArrivesLater() {
        backend.down(true);
        Api api = new Api(port);
        String prefix = TestSecrets.uniqueUid("queued");
        List<WsTestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                String uid = prefix + "-" + i;
                WsTestClient client = WsTestClient.connect(api.ws("token=" + TestSecrets.token(uid)));
                client.nextOfType("welcome");
                clients.add(client);
                api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + i + "}");
                assertThat(client.nextOfType("message").path("data").asInt()).as("served while the backend is down").isEqualTo(i);
            }
            await().until(() -> meter("pushgate_events_dropped_total") >= 4);
            assertThat(meter("pushgate_events_queued")).isLessThanOrEqualTo(6);
            assertThat(meter("pushgate_events_failures_total")).as("the batch in flight kept failing").isPositive();
            double dropped = meter("pushgate_events_dropped_total");

            backend.down(false);
            await().until(() -> meter("pushgate_events_queued") == 0);
            List<String> arrived = backend.matching(type("connect")).stream()
                    .map(e -> e.path("uid").asString()).filter(uid -> uid.startsWith(prefix + "-")).toList();
            assertThat(arrived.size() + dropped).as("every connect arrived or was counted dropped").isEqualTo(12);
            assertThat(arrived).as("the ones that fit, in the order they happened").isSortedAccordingTo(
                    (x, y) -> Integer.compare(Integer.parseInt(x.substring(prefix.length() + 1)), Integer.parseInt(y.substring(prefix.length() + 1))));
            assertThat(meter("pushgate_events_sent_total")).isEqualTo(arrived.size());
        } finally {
            clients.forEach(WsTestClient::close);
        }
    }

    private double meter(String name) {
        String text = new Management(managementPort).get("/actuator/prometheus").body();
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? ([0-9.eE+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
