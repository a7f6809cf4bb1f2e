package io.pushgate.e2e;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

import io.pushgate.support.NodePusherClient;
import io.pushgate.support.PushgateIntegrationTest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/**
 * The stock pusher-js over wss and the stock {@code pusher} SDK over https, both through the shipped
 * {@code nginx/pushgate.conf} on 443-style TLS ({@code /app/} and {@code /apps/}), as a Laravel app's page
 * and backend reach pushgate in production.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=77",
        "pushgate.compat.pusher.key=nginx-key", "pushgate.compat.pusher.secret=nginx-secret-0123456789"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PusherProxyE2ETests {

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    Nginx nginx;
    Path certs;

    @BeforeAll
    void startNginx() throws Exception {
        certs = Nginx.generateCertificates(dir);
        nginx = Nginx.start(dir.resolve("root"), "pushgate.conf", port, certs);
    }

    @AfterAll
    void stopNginx() {
        if (nginx != null) {
            nginx.close();
        }
    }

    @Test
    void pusherJsOverWssGetsWhatTheSdkTriggersOverHttps() {
        URI https = URI.create(nginx.https("/"));
        String options = "{\"host\":\"" + https.getHost() + "\",\"port\":" + https.getPort() + ",\"tls\":true,\"appId\":\"77\","
                + "\"key\":\"nginx-key\",\"secret\":\"nginx-secret-0123456789\"}";
        Map<String, String> trustTheTestCa = Map.of("NODE_EXTRA_CA_CERTS", certs.resolve("ca.crt").toString());
        String channel = "private-" + uniqueUid("tls");
        try (NodePusherClient page = NodePusherClient.start(options, trustTheTestCa)) {
            page.socketId();
            page.send("{\"subscribe\":\"" + channel + "\"}");
            page.await(line -> channel.equals(line.path("subscribed").asString(null)), "subscribed");

            assertThat(page.call("{\"trigger\":{\"channels\":[\"" + channel + "\"],\"event\":\"shipped\",\"data\":\"over https\"}}")
                    .path("status").asInt()).isEqualTo(200);

            // the event may come before the SDK's answer, which the call waited for
            assertThat(page.find(line -> "shipped".equals(line.path("event").asString(null)), "the event").path("data").asString())
                    .isEqualTo("over https");
        }
    }
}
