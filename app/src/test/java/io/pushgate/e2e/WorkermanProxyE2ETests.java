package io.pushgate.e2e;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/**
 * Workerman push.php's page through the shipped {@code nginx/pushgate.conf} on wss: the
 * {@code /compat/workerman} location passes the upgrade, the page sends its uid and gets the data.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.compat.workerman-ws.enabled=true")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkermanProxyE2ETests {

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    Nginx nginx;
    HttpClient https;

    @BeforeAll
    void startNginx() throws Exception {
        Path certs = Nginx.generateCertificates(dir);
        https = new TestCa(certs).httpClient();
        nginx = Nginx.start(dir.resolve("root"), "pushgate.conf", port, certs);
    }

    @AfterAll
    void stopNginx() {
        if (nginx != null) {
            nginx.close();
        }
    }

    @Test
    void thePageGetsItsDataOverWssThroughNginx() {
        String uid = uniqueUid("wm-nginx");
        Api api = new Api(port);
        try (WsTestClient page = WsTestClient.connect(https, URI.create(nginx.wss("/compat/workerman")), Map.of(), List.of())) {
            page.send(uid);
            await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/v1/uids/" + uid).path("online").asBoolean());

            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":\"88%\"}");

            assertThat(page.nextText("")).isEqualTo("88%");
        }
    }
}
