package io.pushgate.transport.ws;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Presence agrees with what is connected, backend membership changes who a group publish reaches, kicks
 * close with 4403, and fan-out reaches each matching session exactly once.
 *
 * <p>Default settings: the server may be shared with other test classes, so every assertion is about
 * this class's own uniquely named uids and groups.
 */
@PushgateIntegrationTest
class PresenceAndMembershipTests {

    static final Duration GONE = Duration.ofSeconds(5);
    static final JsonMapper JSON = JsonMapper.builder().build();


    @Autowired
    Api api;

    // ------------------------------------------------------------------ presence

    @Test
    void uidPresenceListsTheSessionsThatAreConnectedAndDropsClosedOnes() {
        String uid = uniqueUid("tabs");
        assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isFalse();
        WsTestClient tab1 = connect(uid);
        WsTestClient tab2 = connect(uid);
        try {
            String id1 = clientId(tab1);
            String id2 = clientId(tab2);

            JsonNode presence = api.get("/api/v1/uids/" + uid);
            assertThat(presence.path("uid").asString()).isEqualTo(uid);
            assertThat(presence.path("online").asBoolean()).isTrue();
            assertThat(presence.path("sessions").asInt()).isEqualTo(2);
            assertThat(texts(presence.path("clientIds"))).containsExactlyInAnyOrder(id1, id2);

            tab2.close();
            await().atMost(GONE).untilAsserted(() ->
                    assertThat(texts(api.get("/api/v1/uids/" + uid).path("clientIds"))).containsExactly(id1));
            assertThat(api.get("/api/v1/uids/" + uid).path("sessions").asInt()).isEqualTo(1);

            tab1.close();
            await().atMost(GONE).untilAsserted(() -> {
                JsonNode gone = api.get("/api/v1/uids/" + uid);
                assertThat(gone.path("online").asBoolean()).isFalse();
                assertThat(gone.path("sessions").asInt()).isZero();
                assertThat(gone.path("clientIds").isEmpty()).isTrue();
            });
        } finally {
            tab1.close();
            tab2.close();
        }
    }

    @Test
    void onlineUidsAreCountedAndPagedInNameOrder() {
        String prefix = uniqueUid("pg");
        String u1 = prefix + "-1";
        String u2 = prefix + "-2";
        String u3 = prefix + "-3";
        try (WsTestClient c1 = connect(u1); WsTestClient c2 = connect(u2); WsTestClient c3 = connect(u3);
             WsTestClient c3bis = connect(u3)) {
            List.of(c1, c2, c3, c3bis).forEach(this::clientId);

            JsonNode all = api.get("/api/v1/uids?online");
            assertThat(all.path("count").asInt()).isGreaterThanOrEqualTo(3);

            // "after" is exclusive: the bare prefix sorts just before this test's uids
            JsonNode first = api.get("/api/v1/uids?online&limit=2&after=" + prefix);
            assertThat(texts(first.path("uids"))).containsExactly(u1, u2);
            assertThat(first.path("next").asString()).isEqualTo(u2);
            assertThat(first.path("count").asInt()).as("count is of every online uid, not of the page")
                    .isGreaterThanOrEqualTo(3);

            JsonNode second = api.get("/api/v1/uids?online=true&limit=2&after=" + first.path("next").asString());
            List<String> secondPage = texts(second.path("uids"));
            assertThat(secondPage).first().isEqualTo(u3);
            assertThat(secondPage).doesNotHaveDuplicates().doesNotContain(u1, u2);
            if (secondPage.size() < 2) {
                assertThat(second.path("next").isNull()).as("the last page has no next").isTrue();
            }

            c2.close();
            await().atMost(GONE).untilAsserted(() ->
                    assertThat(texts(api.get("/api/v1/uids?online&limit=2&after=" + prefix).path("uids")))
                            .containsExactly(u1, u3));
        }
        await().atMost(GONE).untilAsserted(() ->
                assertThat(texts(api.get("/api/v1/uids?online&limit=3&after=" + prefix).path("uids")))
                        .doesNotContain(u1, u2, u3));
    }

    @Test
    void groupPresenceListsUidsSessionsAndClientIds() {
        String group = uniqueUid("grp");
        String ann = uniqueUid("ann");
        String bob = uniqueUid("bob");
        WsTestClient ann1 = connect(ann, group);
        WsTestClient ann2 = connect(ann, group);
        WsTestClient bob1 = connect(bob, group);
        try (WsTestClient outsider = connect(uniqueUid("out"))) {
            List<String> ids = List.of(clientId(ann1), clientId(ann2), clientId(bob1));
            clientId(outsider);

            JsonNode presence = api.get("/api/v1/groups/" + group);
            assertThat(presence.path("group").asString()).isEqualTo(group);
            assertThat(texts(presence.path("uids"))).containsExactly(ann.compareTo(bob) < 0 ? ann : bob,
                    ann.compareTo(bob) < 0 ? bob : ann);
            assertThat(presence.path("sessions").asInt()).isEqualTo(3);
            assertThat(texts(presence.path("clientIds"))).containsExactlyInAnyOrderElementsOf(ids);

            JsonNode listed = api.get("/api/v1/groups?limit=1&after=" + beforeName(group));
            assertThat(listed.path("count").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(listed.path("groups").path(0).path("group").asString()).isEqualTo(group);
            assertThat(listed.path("groups").path(0).path("sessions").asInt()).isEqualTo(3);

            bob1.close();
            await().atMost(GONE).untilAsserted(() -> {
                JsonNode now = api.get("/api/v1/groups/" + group);
                assertThat(texts(now.path("uids"))).containsExactly(ann);
                assertThat(now.path("sessions").asInt()).isEqualTo(2);
            });
            ann1.close();
            ann2.close();
            await().atMost(GONE).untilAsserted(() -> {
                JsonNode now = api.get("/api/v1/groups/" + group);
                assertThat(now.path("uids").isEmpty()).isTrue();
                assertThat(now.path("sessions").asInt()).isZero();
                JsonNode page = api.get("/api/v1/groups?limit=1&after=" + beforeName(group));
                assertThat(page.path("groups").path(0).path("group").asString()).isNotEqualTo(group);
            });
        } finally {
            ann1.close();
            ann2.close();
            bob1.close();
        }
    }

    // ------------------------------------------------------------------ membership

    @Test
    void aUidMembershipHoldsForItsSessionsNowAndLaterUntilDeleted() {
        String uid = uniqueUid("member");
        String group = uniqueUid("grp");
        try (WsTestClient early = connect(uid)) {
            String earlyId = clientId(early);
            JsonNode put = api.put("/api/v1/groups/" + group + "/uids/" + uid, 200);
            assertThat(put.path("sessions").asInt()).isEqualTo(1);
            assertThat(texts(api.get("/api/v1/groups/" + group).path("clientIds"))).containsExactly(earlyId);

            try (WsTestClient later = connect(uid)) {
                assertThat(texts(later.nextOfType("welcome").path("groups"))).containsExactly(group);
                JsonNode answer = publishToGroup(group, "both");
                assertThat(answer.path("sessions").asInt()).isEqualTo(2);
                for (WsTestClient client : List.of(early, later)) {
                    JsonNode message = client.nextMessage();
                    assertThat(message.path("data").asString()).isEqualTo("both");
                    assertThat(message.path("to").path("group").asString()).isEqualTo(group);
                }

                JsonNode deleted = api.delete("/api/v1/groups/" + group + "/uids/" + uid, 200);
                assertThat(deleted.path("sessions").asInt()).isEqualTo(2);
                assertThat(publishToGroup(group, "nobody").path("sessions").asInt()).isZero();
                assertNextMessageIsMarker(uid, early, later);
            }
            try (WsTestClient afterDelete = connect(uid)) {
                assertThat(afterDelete.nextOfType("welcome").path("groups").isEmpty()).isTrue();
            }
        }
    }

    @Test
    void aClientMembershipHoldsForThatOneSession() {
        String uid = uniqueUid("member");
        String group = uniqueUid("grp");
        try (WsTestClient chosen = connect(uid); WsTestClient other = connect(uid)) {
            String chosenId = clientId(chosen);
            clientId(other);

            JsonNode put = api.put("/api/v1/groups/" + group + "/clients/" + chosenId, 200);
            assertThat(put.path("member").asBoolean()).isTrue();
            assertThat(put.path("clientId").asString()).isEqualTo(chosenId);
            assertThat(publishToGroup(group, "just one").path("sessions").asInt()).isEqualTo(1);
            assertThat(chosen.nextMessage().path("data").asString()).isEqualTo("just one");
            assertNextMessageIsMarker(uid, other);
            chosen.nextMessage(); // its own copy of the marker

            JsonNode deleted = api.delete("/api/v1/groups/" + group + "/clients/" + chosenId, 200);
            assertThat(deleted.path("member").asBoolean()).isFalse();
            assertThat(publishToGroup(group, "none").path("sessions").asInt()).isZero();
            assertNextMessageIsMarker(uid, chosen, other);
            assertThat(api.get("/api/v1/groups/" + group).path("sessions").asInt()).isZero();
        }
    }

    @Test
    void anUnknownClientIdIsA404Problem() {
        String unknown = "test-" + uniqueUid("nobody");
        for (String method : List.of("PUT", "DELETE")) {
            assertProblem(api.client().method(org.springframework.http.HttpMethod.valueOf(method))
                    .uri("/api/v1/groups/" + uniqueUid("grp") + "/clients/" + unknown), 404,
                    "urn:pushgate:problem:client-not-found");
        }
        assertProblem(api.client().delete().uri("/api/v1/clients/" + unknown), 404, "urn:pushgate:problem:client-not-found");
    }

    // ------------------------------------------------------------------ kicks

    @Test
    void kickingAUidClosesEveryOneOfItsSessionsWith4403() {
        String uid = uniqueUid("kicked");
        String bystander = uniqueUid("stays");
        try (WsTestClient tab1 = connect(uid); WsTestClient tab2 = connect(uid); WsTestClient other = connect(bystander)) {
            List.of(tab1, tab2, other).forEach(this::clientId);

            assertThat(api.delete("/api/v1/uids/" + uid + "/sessions", 200).path("closed").asInt()).isEqualTo(2);
            for (WsTestClient tab : List.of(tab1, tab2)) {
                WsTestClient.Close close = tab.awaitClose();
                assertThat(close.code()).isEqualTo(4403);
                assertThat(close.reason()).isEqualTo("kicked");
            }
            await().atMost(GONE).untilAsserted(() ->
                    assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isFalse());

            assertThat(other.isClosed()).isFalse();
            assertNextMessageIsMarker(bystander, other);
            assertThat(api.delete("/api/v1/uids/" + uid + "/sessions", 200).path("closed").asInt()).isZero();
        }
    }

    @Test
    void kickingAClientClosesOnlyThatSessionWith4403() {
        String uid = uniqueUid("kicked");
        try (WsTestClient victim = connect(uid); WsTestClient sibling = connect(uid)) {
            String victimId = clientId(victim);
            String siblingId = clientId(sibling);

            assertThat(api.delete("/api/v1/clients/" + victimId, 200).path("closed").asInt()).isEqualTo(1);
            assertThat(victim.awaitClose().code()).isEqualTo(4403);
            await().atMost(GONE).untilAsserted(() ->
                    assertThat(texts(api.get("/api/v1/uids/" + uid).path("clientIds"))).containsExactly(siblingId));
            assertThat(sibling.isClosed()).isFalse();
            assertNextMessageIsMarker(uid, sibling);
        }
    }

    // ------------------------------------------------------------------ fan-out

    @Test
    void aGroupPublishReachesItsMembersOnly() {
        String group = uniqueUid("grp");
        String member = uniqueUid("in");
        String outsider = uniqueUid("out");
        try (WsTestClient in1 = connect(member, group); WsTestClient in2 = connect(member, group);
             WsTestClient out = connect(outsider)) {
            List.of(in1, in2, out).forEach(this::clientId);

            JsonNode answer = publishToGroup(group, "members");
            assertThat(answer.path("sessions").asInt()).isEqualTo(2);
            for (WsTestClient client : List.of(in1, in2)) {
                JsonNode message = client.nextMessage();
                assertThat(message.path("id").asString()).isEqualTo(answer.path("id").asString());
                assertThat(message.path("to").path("group").asString()).isEqualTo(group);
            }
            assertNextMessageIsMarker(outsider, out);
        }
    }

    @Test
    void aBroadcastReachesEverySessionButTheExcludedOnes() {
        String ann = uniqueUid("ann");
        String bob = uniqueUid("bob");
        try (WsTestClient ann1 = connect(ann); WsTestClient ann2 = connect(ann); WsTestClient bob1 = connect(bob, uniqueUid("grp"))) {
            String ann2Id = clientId(ann2);
            List.of(ann1, bob1).forEach(this::clientId);

            JsonNode everyone = api.publish("""
                    {"to":{"all":true},"event":"notice","data":"everyone"}""");
            assertThat(everyone.path("sessions").asInt()).isGreaterThanOrEqualTo(3);
            for (WsTestClient client : List.of(ann1, ann2, bob1)) {
                JsonNode message = client.nextMessage();
                assertThat(message.path("id").asString()).isEqualTo(everyone.path("id").asString());
                assertThat(message.path("to").path("all").asBoolean()).isTrue();
                assertThat(message.path("data").asString()).isEqualTo("everyone");
            }

            JsonNode allButOne = api.publish("""
                    {"to":{"all":true},"event":"notice","data":"not you","exclude":{"clients":["%s"]}}""".formatted(ann2Id));
            assertThat(allButOne.path("sessions").asInt()).isGreaterThanOrEqualTo(2);
            for (WsTestClient client : List.of(ann1, bob1)) {
                assertThat(client.nextMessage().path("data").asString()).isEqualTo("not you");
            }
            assertNextMessageIsMarker(ann, ann2);
        }
    }

    @Test
    void excludedClientsAreSkippedInUidAndGroupPublishesToo() {
        String uid = uniqueUid("ex");
        String group = uniqueUid("grp");
        try (WsTestClient kept = connect(uid, group); WsTestClient skipped = connect(uid, group)) {
            clientId(kept);
            String skippedId = clientId(skipped);

            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s"],"groups":["%s"]},"event":"x","data":"some","exclude":{"clients":["%s"]}}"""
                    .formatted(uid, group, skippedId));
            assertThat(answer.path("sessions").asInt()).isEqualTo(1);
            assertThat(kept.nextMessage().path("data").asString()).isEqualTo("some");
            assertNextMessageIsMarker(uid, skipped);
        }
    }

    @Test
    void aSessionMatchedByUidAndGroupGetsTheMessageOnce() {
        String group = uniqueUid("grp");
        String both = uniqueUid("both");
        String groupOnly = uniqueUid("grouponly");
        String uidOnly = uniqueUid("uidonly");
        try (WsTestClient bothClient = connect(both, group); WsTestClient groupClient = connect(groupOnly, group);
             WsTestClient uidClient = connect(uidOnly)) {
            String bothId = clientId(bothClient);
            List.of(groupClient, uidClient).forEach(this::clientId);

            JsonNode answer = api.publish("""
                    {"to":{"uids":["%s","%s"],"groups":["%s"],"clients":["%s"]},"event":"once","data":"once"}"""
                    .formatted(both, uidOnly, group, bothId));
            assertThat(answer.path("sessions").asInt()).as("three sessions, each counted once").isEqualTo(3);
            for (WsTestClient client : List.of(bothClient, groupClient, uidClient)) {
                assertThat(client.nextMessage().path("id").asString()).isEqualTo(answer.path("id").asString());
            }
            // no second copy: the next message each one gets is the marker
            assertNextMessageIsMarker(both, bothClient);
        }
    }

    // ------------------------------------------------------------------ helpers

    private WsTestClient connect(String uid, String... groups) {
        return WsTestClient.connect(api.ws("token=" + token(uid, List.of(groups), List.of())));
    }

    /** Takes the welcome and returns the client id. */
    private String clientId(WsTestClient client) {
        return client.nextOfType("welcome").path("clientId").asString();
    }

    private JsonNode publishToGroup(String group, String data) {
        return api.publish("""
                {"to":{"groups":["%s"]},"event":"group_msg","data":"%s"}""".formatted(group, data));
    }

    /**
     * Publishes a marker to the uid and asserts it is the next message each client gets: since a session
     * gets messages in publish order, nothing published before the marker reached it.
     */
    private void assertNextMessageIsMarker(String uid, WsTestClient... clients) {
        JsonNode marker = api.publish("""
                {"to":{"uids":["%s"]},"event":"marker","data":null}""".formatted(uid));
        for (WsTestClient client : clients) {
            JsonNode next = client.nextMessage();
            assertThat(next.path("id").asString()).as("next message: %s", next).isEqualTo(marker.path("id").asString());
        }
    }

    private static void assertProblem(org.springframework.test.web.reactive.server.WebTestClient.RequestHeadersSpec<?> request,
                                      int status, String type) {
        byte[] body = request.exchange()
                .expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().returnResult().getResponseBody();
        JsonNode problem = JSON.readTree(body);
        assertThat(problem.path("type").asString()).isEqualTo(type);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
    }

    /** A name that sorts just before {@code name} and after everything that sorts before it. */
    private static String beforeName(String name) {
        return name.substring(0, name.length() - 1);
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asString()));
        return values;
    }
}
