package io.pushgate.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the server does with input at the edges: numbers that do not fit, JSON nested too deep,
 * oversized tokens, payloads whose exact text matters, and memberships past their caps. Every refusal
 * is a 4xx problem (or an error reply / close code), never a 500, and a payload goes out as it came in.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.session.max-groups-per-uid=3", "pushgate.session.max-membership-uids=5"})
class InputLimitsTests {

    /** Numbers no double or long holds: re-serialising them would print Infinity or lose digits. */
    static final String EXACT = "{\"big\":1e999,\"dec\":3.141592653589793238462643383279,\"int\":18446744073709551617,"
            + "\"neg\":-0.0,\"s\":\"a b\\u00e9\\n\"}";

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    // ---- numbers ------------------------------------------------------------------------------------

    @Test
    void ttlsThatAreNotWholeSecondsInRangeAre400s() {
        for (String ttl : List.of("18446744073709551617", "-1", "1.5", "1e3", "9223372036854775808", "\"60\"")) {
            JsonNode problem = api.post("/api/v1/messages", "{\"to\":{\"all\":true},\"ttl\":" + ttl + "}", 400);
            assertThat(problem.path("type").asString()).as(ttl).isEqualTo("urn:pushgate:problem:bad-request");
            assertThat(problem.path("detail").asString()).as(ttl).contains("ttl must be whole seconds");
        }
        JsonNode batch = api.post("/api/v1/messages:batch", "[{\"to\":{\"all\":true},\"ttl\":18446744073709551617}]", 400);
        assertThat(batch.path("detail").asString()).contains("[0]: ttl must be whole seconds");
    }

    @Test
    void pagingLimitsThatAreNotWholeNumbersInRangeAre400s() {
        for (String limit : List.of("-1", "0", "1.5", "18446744073709551617", "abc", "1001")) {
            for (String path : List.of("/api/v1/uids?online&limit=", "/api/v1/groups?limit=")) {
                JsonNode problem = api.get(path + limit, 400);
                assertThat(problem.path("type").asString()).as(path + limit).isEqualTo("urn:pushgate:problem:bad-request");
                assertThat(problem.path("detail").asString()).as(path + limit).contains("limit");
            }
        }
    }

    // ---- JSON nesting -------------------------------------------------------------------------------

    @Test
    void bodiesNestedDeeperThanTheLimitAre400s() {
        String deep = "[".repeat(65) + "]".repeat(65);
        JsonNode problem = api.post("/api/v1/messages", "{\"to\":{\"all\":true},\"data\":" + deep + "}", 400);
        assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:bad-request");
        assertThat(problem.path("detail").asString()).contains("nested deeper than 64");
        JsonNode longNumber = api.post("/api/v1/messages", "{\"to\":{\"all\":true},\"data\":1" + "0".repeat(1000) + "}", 400);
        assertThat(longNumber.path("type").asString()).isEqualTo("urn:pushgate:problem:bad-request");
        assertThat(longNumber.path("detail").asString()).contains("a number is longer than 1000 characters");
        // the limit counts the whole document: the body's object and data's arrays
        String deepest = "[".repeat(63) + "]".repeat(63);
        api.post("/api/v1/messages", "{\"to\":{\"uids\":[\"nobody-here\"]},\"data\":" + deepest + "}", 200);
    }

    @Test
    void clientFramesNestedDeeperThanTheLimitGetAnErrorReply() {
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uniqueUid("deep"))))) {
            client.nextOfType("welcome");
            client.send("{\"type\":\"ping\",\"ref\":1,\"x\":" + "[".repeat(100) + "]".repeat(100) + "}");
            JsonNode reply = client.nextOfType("reply");
            assertThat(reply.path("ok").asBoolean()).isFalse();
            assertThat(reply.path("error").path("code").asString()).isEqualTo("bad_frame");
            assertThat(reply.path("error").path("message").asString()).contains("nested deeper than 64");
        }
    }

    // ---- tokens -------------------------------------------------------------------------------------

    @Test
    void aTokenOver8KiBInTheAuthFrameClosesWith4401SayingItIsTooLong() {
        String huge = token(uniqueUid("huge")) + "A".repeat(9000);
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.sendJson(Map.of("type", "auth", "token", huge));
            WsTestClient.Close close = client.awaitClose();
            assertThat(close.code()).isEqualTo(4401);
            assertThat(close.reason()).contains("longer than 8192");
        }
    }

    /**
     * Over HTTP a token over 8 KiB meets Netty's request limits before the verifier. 16 KiB rather than a
     * megabyte: the server answers after reading the line and closes, and unread bytes left in its socket
     * would reset the connection before the answer is read (the verifier's own refusal of a megabyte is
     * in {@code HmacTokensTests}).
     */
    @Test
    void aTokenOver8KiBInTheQueryOrAHeaderIsRefusedWithA4xx() {
        String huge = "A".repeat(16 * 1024);
        try (RawHttp http = RawHttp.connect(port)) {
            RawHttp.Response response = http.exchange("GET /sse?token=" + huge + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(response.status()).as("the request line is over Netty's limit").isEqualTo(414);
        }
        try (RawHttp http = RawHttp.connect(port)) {
            RawHttp.Response response = http.exchange("GET /sse HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + "A".repeat(9000) + "\r\n\r\n");
            assertThat(response.status()).as("the headers are over Netty's limit").isEqualTo(431);
        }
    }

    // ---- exact payloads -----------------------------------------------------------------------------

    @Test
    void dataReachesWebSocketsExactlyAsTheBackendSentIt() {
        String uid = uniqueUid("exact");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            client.nextOfType("welcome");
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + EXACT + "}");
            assertThat(client.nextText("\"type\":\"message\"")).contains("\"data\":" + EXACT + ",");
            api.post("/api/v1/messages:batch", "[{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"b\",\"data\":" + EXACT + "}]", 200);
            assertThat(client.nextText("\"event\":\"b\"")).contains("\"data\":" + EXACT + ",");
            // through WebFlux rather than the direct route: a chunked body
            try (RawHttp http = RawHttp.connect(port)) {
                assertThat(http.exchange(RawHttp.postChunked("/api/v1/messages",
                        "{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"c\",\"data\":" + EXACT + "}")).status()).isEqualTo(200);
            }
            assertThat(client.nextText("\"event\":\"c\"")).contains("\"data\":" + EXACT + ",");
            // scalars too, and whitespace between tokens is dropped (strings keep theirs)
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"d\",\"data\": 1.0E+400 }");
            assertThat(client.nextText("\"event\":\"d\"")).contains("\"data\":1.0E+400,");
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\" : {\n \"a\" : [ 1 ,\t2 ], \"s\" : \" x \" } }");
            assertThat(client.nextText("\"event\":\"e\"")).contains("\"data\":{\"a\":[1,2],\"s\":\" x \"},");
        }
    }

    @Test
    void dataReachesSseAndPollClientsExactly() {
        String uid = uniqueUid("exact-sse");
        try (SseTestClient sse = SseTestClient.open(port, "token=" + token(uid))) {
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":" + EXACT + "}");
            assertThat(sse.next(e -> e.data().contains("\"type\":\"message\""), SseTestClient.WAIT).data())
                    .contains("\"data\":" + EXACT + ",");
        }
        String held = uniqueUid("exact-poll");
        api.publish("{\"to\":{\"uids\":[\"" + held + "\"]},\"ttl\":60,\"data\":" + EXACT + "}");
        try (RawHttp http = RawHttp.connect(port)) {
            RawHttp.Response poll = http.exchange("GET /poll?token=" + token(held) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(poll.status()).isEqualTo(200);
            assertThat(poll.body()).contains("\"data\":" + EXACT + ",");
        }
    }

    @Test
    void dataAClientPublishesReachesTheGroupExactly() {
        String group = uniqueUid("exact-room");
        try (WsTestClient reader = WsTestClient.connect(api.ws("token=" + token(uniqueUid("r"), List.of(group), List.of())));
             WsTestClient writer = WsTestClient.connect(api.ws("token=" + token(uniqueUid("w"), List.of(group), List.of(group))))) {
            reader.nextOfType("welcome");
            writer.nextOfType("welcome");
            writer.send("{\"type\":\"publish\",\"ref\":1,\"group\":\"" + group + "\",\"data\": " + EXACT + " }");
            assertThat(writer.nextOfType("reply").path("ok").asBoolean()).isTrue();
            assertThat(reader.nextText("\"type\":\"message\"")).contains("\"data\":" + EXACT + ",");
            // the same from a client without WebSocket: POST /client/publish
            PollTestClient poller = new PollTestClient(port, token(uniqueUid("p"), List.of(), List.of(group)));
            assertThat(poller.command("publish", "{\"group\":\"" + group + "\",\"event\":\"p\",\"data\":" + EXACT + "}")
                    .status()).isEqualTo(200);
            assertThat(reader.nextText("\"event\":\"p\"")).contains("\"data\":" + EXACT + ",");
        }
    }

    // ---- membership caps ----------------------------------------------------------------------------

    @Test
    void aUidInTheMaximumNumberOfGroupsGetsA409ForAnother() {
        String uid = uniqueUid("member");
        try {
            for (int i = 0; i < 3; i++) {
                api.put("/api/v1/groups/g" + i + "/uids/" + uid, 200);
            }
            api.put("/api/v1/groups/g0/uids/" + uid, 200); // already a member: still idempotent
            JsonNode problem = api.put("/api/v1/groups/g3/uids/" + uid, 409);
            assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:too-many-uid-groups");
            assertThat(problem.path("detail").asString()).contains("3");
            api.delete("/api/v1/groups/g0/uids/" + uid, 200);
            api.put("/api/v1/groups/g3/uids/" + uid, 200);
        } finally {
            for (int i = 0; i < 4; i++) {
                api.delete("/api/v1/groups/g" + i + "/uids/" + uid, 200);
            }
        }
    }

    @Test
    void membershipsForMoreUidsThanTheNodeHoldsGet429() {
        List<String> added = new ArrayList<>();
        try {
            JsonNode refused = null;
            for (int i = 0; i <= 5 && refused == null; i++) {
                String uid = uniqueUid("offline");
                JsonNode answer = api.client().put().uri("/api/v1/groups/room/uids/" + uid).exchange()
                        .expectBody(JsonNode.class).returnResult().getResponseBody();
                if (answer != null && answer.has("type")) {
                    refused = answer;
                } else {
                    added.add(uid);
                }
            }
            assertThat(refused).as("the sixth uid is refused").isNotNull();
            assertThat(added).hasSize(5);
            assertThat(refused.path("status").asInt()).isEqualTo(429);
            assertThat(refused.path("type").asString()).isEqualTo("urn:pushgate:problem:too-many-membership-uids");
            // a uid already holding memberships may still join more groups
            api.put("/api/v1/groups/other/uids/" + added.get(0), 200);
            api.delete("/api/v1/groups/other/uids/" + added.get(0), 200);
            // deleting a uid's last membership makes room
            api.delete("/api/v1/groups/room/uids/" + added.remove(0), 200);
            String next = uniqueUid("offline");
            api.put("/api/v1/groups/room/uids/" + next, 200);
            added.add(next);
        } finally {
            added.forEach(uid -> api.delete("/api/v1/groups/room/uids/" + uid, 200));
        }
    }
}
