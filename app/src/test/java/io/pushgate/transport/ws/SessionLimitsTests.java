package io.pushgate.transport.ws;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Sessions per uid and groups per session are limited, and every way in respects the limit. */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.session.queue=8",
        "pushgate.session.max-per-uid=2",
        "pushgate.session.max-groups=2"
})
class SessionLimitsTests {

    @Autowired
    Api api;

    @Test
    void aSessionOverTheUidLimitIsClosedWith4429AndTheOthersKeepWorking() {
        String uid = uniqueUid("tabs");
        try (WsTestClient tab1 = WsTestClient.connect(api.ws("token=" + token(uid)));
             WsTestClient tab2 = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            String id1 = tab1.nextOfType("welcome").path("clientId").asString();
            String id2 = tab2.nextOfType("welcome").path("clientId").asString();

            try (WsTestClient tab3 = WsTestClient.connect(api.ws("token=" + token(uid)))) {
                WsTestClient.Close close = tab3.awaitClose();
                assertThat(close.code()).isEqualTo(4429);
                assertThat(close.reason()).isEqualTo("too many sessions for uid");
                assertThat(tab3.drain()).as("no welcome, nothing at all before the close").isEmpty();
            }

            JsonNode presence = api.get("/api/v1/uids/" + uid);
            assertThat(presence.path("sessions").asInt()).isEqualTo(2);
            assertThat(texts(presence.path("clientIds"))).containsExactlyInAnyOrder(id1, id2);
            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s"]},"event":"hello","data":"both"}""".formatted(uid));
            assertThat(answer.path("sessions").asInt()).isEqualTo(2);
            assertThat(tab1.nextMessage().path("data").asString()).isEqualTo("both");
            assertThat(tab2.nextMessage().path("data").asString()).isEqualTo("both");
            assertThat(tab1.isClosed()).isFalse();
            assertThat(tab2.isClosed()).isFalse();

            // a freed slot can be taken again
            tab2.close();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(api.get("/api/v1/uids/" + uid).path("sessions").asInt()).isEqualTo(1));
            try (WsTestClient tab4 = WsTestClient.connect(api.ws("token=" + token(uid)))) {
                assertThat(tab4.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
                assertThat(api.publish("""
                        {"to":{"uids":["%s"]},"event":"hello","data":"again"}""".formatted(uid)).path("sessions").asInt())
                        .isEqualTo(2);
                assertThat(tab4.nextMessage().path("data").asString()).isEqualTo("again");
            }
        }
    }

    @Test
    void aTokenWithMoreGroupsThanTheLimitJoinsOnlyAsManyAsAllowed() {
        String uid = uniqueUid("member");
        String a = uniqueUid("a");
        String b = uniqueUid("b");
        String c = uniqueUid("c");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid, List.of(a, b, c), List.of())))) {
            JsonNode welcome = client.nextOfType("welcome");
            List<String> joined = texts(welcome.path("groups"));
            assertThat(joined).hasSize(2).isSubsetOf(a, b, c);
            String left = List.of(a, b, c).stream().filter(g -> !joined.contains(g)).findFirst().orElseThrow();

            assertThat(api.publish("""
                    {"to":{"groups":["%s"]},"event":"x","data":1}""".formatted(left)).path("sessions").asInt()).isZero();
            assertThat(api.publish("""
                    {"to":{"groups":["%s"]},"event":"x","data":2}""".formatted(joined.get(0))).path("sessions").asInt()).isEqualTo(1);
            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(2);
            assertThat(api.get("/api/v1/groups/" + left).path("sessions").asInt()).isZero();
        }
    }

    @Test
    void aClientJoinPastTheLimitIsRefusedWithTooManyGroups() {
        String uid = uniqueUid("joiner");
        String a = uniqueUid("a");
        String b = uniqueUid("b");
        String c = uniqueUid("c");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid, List.of(a, b, c), List.of())))) {
            List<String> joined = texts(client.nextOfType("welcome").path("groups"));
            String outside = List.of(a, b, c).stream().filter(g -> !joined.contains(g)).findFirst().orElseThrow();

            client.sendJson(Map.of("type", "join", "group", outside, "ref", 1));
            JsonNode refused = client.nextOfType("reply");
            assertThat(refused.path("ref").asInt()).isEqualTo(1);
            assertThat(refused.path("ok").asBoolean()).isFalse();
            assertThat(refused.path("error").path("code").asString()).isEqualTo("too_many_groups");
            assertThat(api.get("/api/v1/groups/" + outside).path("sessions").asInt()).isZero();

            // leaving one makes room
            client.sendJson(Map.of("type", "leave", "group", joined.get(0), "ref", 2));
            assertThat(client.nextOfType("reply").path("ok").asBoolean()).isTrue();
            client.sendJson(Map.of("type", "join", "group", outside, "ref", 3));
            JsonNode accepted = client.nextOfType("reply");
            assertThat(accepted.path("ref").asInt()).isEqualTo(3);
            assertThat(accepted.path("ok").asBoolean()).isTrue();
            assertThat(api.publish("""
                    {"to":{"groups":["%s"]},"event":"x","data":3}""".formatted(outside)).path("sessions").asInt()).isEqualTo(1);
            assertThat(client.nextMessage().path("data").asInt()).isEqualTo(3);
        }
    }

    @Test
    void theApiCannotPutASessionInMoreGroupsThanTheLimit() {
        String uid = uniqueUid("backend");
        String a = uniqueUid("a");
        String b = uniqueUid("b");
        String c = uniqueUid("c");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            String clientId = client.nextOfType("welcome").path("clientId").asString();
            assertThat(api.put("/api/v1/groups/" + a + "/clients/" + clientId, 200).path("member").asBoolean()).isTrue();
            assertThat(api.put("/api/v1/groups/" + b + "/clients/" + clientId, 200).path("member").asBoolean()).isTrue();
            // joining again what it is in is not one more group
            api.put("/api/v1/groups/" + b + "/clients/" + clientId, 200);

            byte[] body = api.client().put().uri("/api/v1/groups/" + c + "/clients/" + clientId).exchange()
                    .expectStatus().isEqualTo(409)
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().returnResult().getResponseBody();
            JsonNode problem = tools.jackson.databind.json.JsonMapper.builder().build().readTree(body);
            assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:too-many-groups");
            assertThat(problem.path("status").asInt()).isEqualTo(409);

            // a uid membership skips the session that is full
            assertThat(api.put("/api/v1/groups/" + c + "/uids/" + uid, 200).path("sessions").asInt()).isZero();

            assertThat(api.get("/api/v1/groups/" + c).path("sessions").asInt()).isZero();
            assertThat(api.publish("""
                    {"to":{"groups":["%s","%s"]},"event":"x","data":4}""".formatted(c, a)).path("sessions").asInt()).isEqualTo(1);
            JsonNode message = client.nextMessage();
            assertThat(message.path("to").path("group").asString()).isEqualTo(a);
            api.delete("/api/v1/groups/" + c + "/uids/" + uid, 200);
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asString()));
        return values;
    }
}
