package io.pushgate.transport.ws;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

@PushgateIntegrationTest
class ClientFramesTests {

    @Autowired
    Api api;

    @Test
    void joinOfClaimedGroupRepliesOkAndDelivers() {
        String uid = uniqueUid("joiner");
        String group = uniqueUid("room");
        try (WsTestClient client = connect(api, uid, List.of(group), List.of())) {
            client.sendJson(Map.of("type", "leave", "group", group, "ref", 1));
            assertOk(reply(client, 1));
            assertThat(publishToGroup(group, "while_out").path("sessions").asInt()).isZero();

            client.sendJson(Map.of("type", "join", "group", group, "ref", 2));
            assertOk(reply(client, 2));
            JsonNode answer = publishToGroup(group, "back_in");

            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            JsonNode message = client.nextMessage();
            assertThat(message.path("event").asString()).isEqualTo("back_in");
            assertThat(message.path("id").asString()).isEqualTo(answer.path("id").asString());
            assertThat(message.path("to").path("group").asString()).isEqualTo(group);
        }
    }

    @Test
    void joinOfUnclaimedGroupIsForbidden() {
        String uid = uniqueUid("joiner");
        String group = uniqueUid("secret");
        try (WsTestClient client = connect(api, uid, List.of(), List.of())) {
            client.sendJson(Map.of("type", "join", "group", group, "ref", 1));
            assertError(reply(client, 1), "forbidden");

            assertThat(publishToGroup(group, "secret_msg").path("sessions").asInt()).isZero();
            publishToUid(uid, "marker");
            assertThat(client.nextMessage().path("event").asString()).isEqualTo("marker");
        }
    }

    @Test
    void leaveStopsDelivery() {
        String uid = uniqueUid("leaver");
        String group = uniqueUid("room");
        try (WsTestClient client = connect(api, uid, List.of(group), List.of())) {
            publishToGroup(group, "before_leave");
            assertThat(client.nextMessage().path("event").asString()).isEqualTo("before_leave");

            client.sendJson(Map.of("type", "leave", "group", group, "ref", 1));
            assertOk(reply(client, 1));
            publishToGroup(group, "after_leave");
            publishToUid(uid, "marker");

            assertThat(client.nextMessage().path("event").asString()).isEqualTo("marker");
        }
    }

    @Test
    void publishToAllowedGroupReachesOtherMembers() {
        String group = uniqueUid("chat");
        try (WsTestClient sender = connect(api, uniqueUid("sender"), List.of(group), List.of(group));
             WsTestClient listener = connect(api, uniqueUid("listener"), List.of(group), List.of())) {
            sender.sendJson(Map.of("type", "publish", "group", group, "event", "chat",
                    "data", Map.of("text", "hello"), "ref", 7));

            JsonNode reply = reply(sender, 7);
            assertOk(reply);
            assertThat(reply.path("result").path("sessions").asInt()).isEqualTo(2);
            JsonNode message = listener.nextMessage();
            assertThat(message.path("id").asString()).isNotEmpty().isEqualTo(reply.path("result").path("id").asString());
            assertThat(message.path("event").asString()).isEqualTo("chat");
            assertThat(message.path("data").toString()).isEqualTo("{\"text\":\"hello\"}");
            assertThat(message.path("to").path("group").asString()).isEqualTo(group);
        }
    }

    @Test
    void publishToGroupNotAllowedIsForbidden() {
        String group = uniqueUid("chat");
        String listenerUid = uniqueUid("listener");
        try (WsTestClient sender = connect(api, uniqueUid("sender"), List.of(group), List.of());
             WsTestClient listener = connect(api, listenerUid, List.of(group), List.of())) {
            sender.sendJson(Map.of("type", "publish", "group", group, "event", "chat", "data", 1, "ref", 3));

            assertError(reply(sender, 3), "forbidden");
            publishToUid(listenerUid, "marker");
            assertThat(listener.nextMessage().path("event").asString()).isEqualTo("marker");
        }
    }

    @Test
    void pingGetsPong() {
        try (WsTestClient client = connect(api, uniqueUid("pinger"), List.of(), List.of())) {
            client.sendJson(Map.of("type", "ping"));

            assertThat(client.next().path("type").asString()).isEqualTo("pong");
        }
    }

    @Test
    void everyFrameWithRefGetsReplyWithThatRef() {
        String uid = uniqueUid("reffer");
        String group = uniqueUid("room");
        try (WsTestClient client = connect(api, uid, List.of(group), List.of(group))) {
            List<Map<String, ?>> frames = List.of(
                    Map.of("type", "ping", "ref", 1),
                    Map.of("type", "pong", "ref", 2),
                    Map.of("type", "join", "group", group, "ref", 3),
                    Map.of("type", "leave", "group", group, "ref", 4),
                    Map.of("type", "publish", "group", group, "event", "e", "ref", 5),
                    Map.of("type", "refresh", "token", token(uid), "ref", 6),
                    Map.of("type", "join", "group", uniqueUid("other"), "ref", 7),
                    Map.of("type", "auth", "token", token(uid), "ref", 8),
                    Map.of("type", "no_such_type", "ref", 9),
                    Map.of("type", "join", "ref", 10));
            frames.forEach(client::sendJson);

            List<Long> refs = new ArrayList<>();
            long last;
            do {
                last = client.nextOfType("reply").path("ref").asLong(-1);
                refs.add(last);
            } while (last != 10 && refs.size() < frames.size());
            assertThat(refs).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        }
    }

    @Test
    void malformedJsonIsBadJsonAndConnectionStaysUsable() {
        try (WsTestClient client = connect(api, uniqueUid("sloppy"), List.of(), List.of())) {
            client.send("{\"type\":\"ping\",");

            JsonNode reply = client.nextOfType("reply");
            assertError(reply, "bad_json");
            client.sendJson(Map.of("type", "ping", "ref", 1));
            assertOk(reply(client, 1));
        }
    }

    @Test
    void unknownTypeIsUnknownType() {
        try (WsTestClient client = connect(api, uniqueUid("curious"), List.of(), List.of())) {
            client.sendJson(Map.of("type", "subscribe", "ref", 4));

            assertError(reply(client, 4), "unknown_type");
        }
    }

    @Test
    void tenConsecutiveBadFramesCloseWith4400() {
        try (WsTestClient client = connect(api, uniqueUid("bad"), List.of(), List.of())) {
            for (int i = 0; i < 10; i++) {
                client.send("nope");
            }

            assertThat(client.awaitClose().code()).isEqualTo(4400);
            assertThat(client.drain()).isNotEmpty().allSatisfy(reply -> assertError(reply, "bad_json"));
        }
    }

    @Test
    void goodFrameResetsBadFrameCount() {
        try (WsTestClient client = connect(api, uniqueUid("bad"), List.of(), List.of())) {
            for (int i = 0; i < 9; i++) {
                client.send("nope");
            }
            client.sendJson(Map.of("type", "ping", "ref", 1));
            for (int i = 0; i < 9; i++) {
                client.send("nope");
            }
            client.sendJson(Map.of("type", "ping", "ref", 2));

            assertOk(reply(client, 2));
            assertThat(client.isClosed()).isFalse();
        }
    }

    @Test
    void sessionNeverReceivesAnotherUidsMessage() {
        String alice = uniqueUid("alice");
        String bob = uniqueUid("bob");
        try (WsTestClient aliceClient = connect(api, alice, List.of(), List.of());
             WsTestClient bobClient = connect(api, bob, List.of(), List.of())) {
            publishToUid(bob, "for_bob");
            publishToUid(alice, "for_alice");

            JsonNode aliceFirst = aliceClient.nextMessage();
            assertThat(aliceFirst.path("event").asString()).isEqualTo("for_alice");
            assertThat(aliceFirst.path("to").path("uid").asString()).isEqualTo(alice);
            JsonNode bobFirst = bobClient.nextMessage();
            assertThat(bobFirst.path("event").asString()).isEqualTo("for_bob");
            assertThat(bobFirst.path("to").path("uid").asString()).isEqualTo(bob);
        }
    }

    /** 1 KB frames and 5 frames a second with a burst of 5. */
    @Nested
    @TestPropertySource(properties = {
            "pushgate.ws.auth-timeout=500ms",
            "pushgate.ws.max-frame-bytes=1KB",
            "pushgate.ws.frames-per-second=5",
            "pushgate.ws.frame-burst=5"
    })
    class TightLimits {

        @LocalServerPort
        int tightPort;

        Api tight;

        @BeforeEach
        void setUp() {
            tight = new Api(tightPort);
        }

        @Test
        void frameOverSizeIsRefusedThenSecondClosesWith1009() {
            String big = "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(2048) + "\"}";
            try (WsTestClient client = connect(tight, uniqueUid("big"), List.of(), List.of())) {
                client.send(big);
                assertError(client.nextOfType("reply"), "frame_too_big");
                client.sendJson(Map.of("type", "ping", "ref", 1));
                assertOk(reply(client, 1));

                client.send(big);

                assertThat(client.awaitClose().code()).isEqualTo(1009);
            }
        }

        @Test
        void frameOverHardLimitClosesWith1009() {
            String huge = "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}";
            try (WsTestClient client = connect(tight, uniqueUid("huge"), List.of(), List.of())) {
                client.send(huge);

                assertThat(client.awaitClose().code()).isEqualTo(1009);
            }
        }

        @Test
        void floodOverRateIsRateLimitedThenClosedWith4429() {
            try (WsTestClient client = connect(tight, uniqueUid("flood"), List.of(), List.of())) {
                for (int i = 0; i < 50 && !client.isClosed(); i++) {
                    try {
                        client.sendJson(Map.of("type", "ping", "ref", i));
                    } catch (RuntimeException closedMeanwhile) {
                        break;
                    }
                }

                assertThat(client.awaitClose().code()).isEqualTo(4429);
                assertThat(client.drain()).anySatisfy(reply -> assertError(reply, "rate_limited"));
            }
        }
    }

    private static WsTestClient connect(Api api, String uid, List<String> groups, List<String> publish) {
        WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid, groups, publish)));
        client.nextOfType("welcome");
        return client;
    }

    private JsonNode publishToGroup(String group, String event) {
        return api.publish("""
                {"to":{"groups":["%s"]},"event":"%s","data":null}""".formatted(group, event));
    }

    private JsonNode publishToUid(String uid, String event) {
        return api.publish("""
                {"to":{"uids":["%s"]},"event":"%s","data":null}""".formatted(uid, event));
    }

    private static JsonNode reply(WsTestClient client, long ref) {
        return client.next(f -> "reply".equals(f.path("type").asString()) && f.path("ref").asLong(-1) == ref);
    }

    private static void assertOk(JsonNode reply) {
        assertThat(reply.path("type").asString()).isEqualTo("reply");
        assertThat(reply.path("ok").asBoolean()).as("ok in %s", reply).isTrue();
    }

    private static void assertError(JsonNode reply, String code) {
        assertThat(reply.path("type").asString()).isEqualTo("reply");
        assertThat(reply.path("ok").asBoolean()).as("ok in %s", reply).isFalse();
        assertThat(reply.path("error").path("code").asString()).isEqualTo(code);
        assertThat(reply.path("error").path("message").asString()).isNotBlank();
    }
}
