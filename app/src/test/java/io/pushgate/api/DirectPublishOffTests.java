package io.pushgate.api;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushgate.api.direct-publish=false}: every publish goes through WebFlux, and still arrives. */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.api.direct-publish=false")
class DirectPublishOffTests {

    @LocalServerPort
    int port;

    @Autowired
    DirectPublishing route;

    @Test
    void publishesAreAnsweredByWebFluxAlone() {
        String uid = TestSecrets.uniqueUid("off");
        try (WsTestClient client = WsTestClient.connect(java.net.URI.create("ws://localhost:" + port + "/ws?token="
                + TestSecrets.token(uid))); RawHttp http = RawHttp.connect(port)) {
            client.nextOfType("welcome");
            RawHttp.Response answer = http.exchange(RawHttp.post("/api/v1/messages",
                    "{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":7}"));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(7);
            assertThat(route.served()).isZero();
        }
    }
}
