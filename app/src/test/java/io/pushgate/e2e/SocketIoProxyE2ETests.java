package io.pushgate.e2e;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.NodeSocketIoClient;
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
 * A stock socket.io-client through the shipped {@code nginx/pushgate.conf} on https: long-polling, then
 * the upgrade to wss through the {@code /socket.io/} location, as a page on 443 connects (WeChat's
 * and browsers' only choice there).
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.compat.socket-io.enabled=true")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SocketIoProxyE2ETests {

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
    void theDefaultClientPollsThenUpgradesToWssThroughNginx() {
        String uid = uniqueUid("sio-nginx");
        String origin = nginx.https("/");
        String options = "{\"auth\":{\"token\":\"" + token(uid, List.of(), List.of()) + "\"}}";
        Map<String, String> trustTheTestCa = Map.of("NODE_EXTRA_CA_CERTS", certs.resolve("ca.crt").toString());
        try (NodeSocketIoClient client = NodeSocketIoClient.start(origin.substring(0, origin.length() - 1), options, trustTheTestCa)) {
            assertThat(client.awaitField("open").path("open").asString()).isEqualTo("polling");
            client.awaitField("connect");
            assertThat(client.reported("upgrade").path("upgrade").asString()).isEqualTo("websocket");

            new Api(port).publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"new_msg\",\"data\":\"over wss\"}");

            assertThat(client.awaitEvent("new_msg").path("args").toString()).isEqualTo("[\"over wss\"]");
        }
    }
}
