package io.pushgate.transport.pusher;

import io.pushgate.support.NodePusherClient;
import io.pushgate.support.PushgateIntegrationTest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Laravel Echo (npm {@code laravel-echo}, broadcaster {@code pusher}, with pusher-js) as a Laravel page uses
 * it, against the events a Laravel backend's {@code pusher} broadcaster sends (here the same {@code pusher}
 * SDK it calls: an event class's name with its namespace, the payload as a JSON string).
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=" + PusherCompatTests.APP_ID,
        "pushgate.compat.pusher.key=" + PusherCompatTests.KEY, "pushgate.compat.pusher.secret=" + PusherCompatTests.SECRET})
class PusherEchoTests {

    @LocalServerPort
    int port;

    private NodePusherClient page() {
        NodePusherClient page = NodePusherClient.start("{\"port\":" + port + ",\"appId\":\"" + PusherCompatTests.APP_ID + "\",\"key\":\""
                + PusherCompatTests.KEY + "\",\"secret\":\"" + PusherCompatTests.SECRET + "\",\"echo\":true}");
        page.socketId();
        return page;
    }

    private static void subscribed(NodePusherClient page, String channel) {
        page.await(line -> channel.equals(line.path("subscribed").asString(null)), "subscribed to " + channel);
    }

    @Test
    void echoListensToALaravelEventOnAPublicChannel() {
        String channel = uniqueUid("orders");
        try (NodePusherClient page = page()) {
            page.send("{\"echoListen\":\"" + channel + "\",\"event\":\"OrderShipped\"}");
            subscribed(page, channel);

            // what Laravel's broadcaster sends for App\Events\OrderShipped without broadcastAs
            JsonNode answer = page.call("{\"trigger\":{\"channels\":[\"" + channel + "\"],\"event\":\"App\\\\Events\\\\OrderShipped\","
                    + "\"data\":\"{\\\"order\\\":{\\\"id\\\":5},\\\"socket\\\":null}\"}}");
            assertThat(answer.path("status").asInt()).isEqualTo(200);

            JsonNode heard = page.find(line -> channel.equals(line.path("echo").asString(null)), "the event through Echo");
            assertThat(heard.path("data").path("order").path("id").asInt()).isEqualTo(5);
        }
    }

    @Test
    void echoPrivateChannelsWhisperToTheOtherMembers() {
        String name = "chat." + uniqueUid("room");
        try (NodePusherClient ann = page(); NodePusherClient bob = page()) {
            ann.send("{\"echoPrivate\":\"" + name + "\"}");
            subscribed(ann, "private-" + name);
            bob.send("{\"echoPrivate\":\"" + name + "\"}");
            subscribed(bob, "private-" + name);

            ann.send("{\"whisper\":\"" + name + "\",\"event\":\"typing\",\"data\":{\"name\":\"Ann\"}}");

            JsonNode whispered = bob.await(line -> line.has("whispered"), "ann's whisper");
            assertThat(whispered.path("data").path("name").asString()).isEqualTo("Ann");
        }
    }

    @Test
    void echoJoinSeesWhoIsHereWhoJoinsAndWhoLeaves() {
        String name = "room." + uniqueUid("r");
        String channel = "presence-" + name;
        try (NodePusherClient ann = page()) {
            ann.send("{\"echoJoin\":\"" + name + "\",\"user\":{\"user_id\":1,\"user_info\":{\"id\":1,\"name\":\"Ann\"}}}");
            JsonNode here = ann.await(line -> channel.equals(line.path("here").asString(null)), "here");
            assertThat(here.path("users").toString()).isEqualTo("[{\"id\":1,\"name\":\"Ann\"}]");

            try (NodePusherClient bob = page()) {
                bob.send("{\"echoJoin\":\"" + name + "\",\"user\":{\"user_id\":2,\"user_info\":{\"id\":2,\"name\":\"Bob\"}}}");
                JsonNode both = bob.await(line -> channel.equals(line.path("here").asString(null)), "here for bob");
                assertThat(both.path("users")).hasSize(2);

                assertThat(ann.await(line -> line.has("joining"), "bob joining").path("user").path("name").asString()).isEqualTo("Bob");
            }
            assertThat(ann.await(line -> line.has("leaving"), "bob leaving").path("user").path("name").asString()).isEqualTo("Bob");
        }
    }
}
