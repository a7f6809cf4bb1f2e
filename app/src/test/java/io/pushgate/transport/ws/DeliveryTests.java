package io.pushgate.transport.ws;

import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

@PushgateIntegrationTest
class DeliveryTests {

    @Autowired
    Api api;

    @Test
    void publishToUidReachesEverySessionOfTheUidAndReportsOffline() {
        String alice = uniqueUid("alice");
        String nobody = uniqueUid("nobody");
        try (WsTestClient tab1 = WsTestClient.connect(api.ws("token=" + token(alice)));
             WsTestClient tab2 = WsTestClient.connect(api.ws("token=" + token(alice)))) {
            JsonNode welcome1 = tab1.nextOfType("welcome");
            JsonNode welcome2 = tab2.nextOfType("welcome");
            assertThat(welcome1.path("uid").asString()).isEqualTo(alice);
            assertThat(welcome1.path("clientId").asString()).isNotEqualTo(welcome2.path("clientId").asString());

            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s","%s"]},"event":"new_msg","data":{"text":"hi","n":1}}""".formatted(alice, nobody));

            assertThat(answer.path("sessions").asInt()).isEqualTo(2);
            assertThat(answer.path("online").toString()).isEqualTo("[\"" + alice + "\"]");
            assertThat(answer.path("offline").toString()).isEqualTo("[\"" + nobody + "\"]");
            for (WsTestClient tab : List.of(tab1, tab2)) {
                JsonNode message = tab.nextMessage();
                assertThat(message.path("id").asString()).isEqualTo(answer.path("id").asString());
                assertThat(message.path("event").asString()).isEqualTo("new_msg");
                assertThat(message.path("data").toString()).isEqualTo("{\"text\":\"hi\",\"n\":1}");
                assertThat(message.path("to").path("uid").asString()).isEqualTo(alice);
                assertThat(message.path("ts").asLong()).isPositive();
            }
        }
    }
}
