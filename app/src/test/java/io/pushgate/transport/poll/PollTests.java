package io.pushgate.transport.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.pushgate.support.Api;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.ShortTimers;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@PushgateIntegrationTest
@ShortTimers
class PollTests {

    private static final Duration HOLD = Duration.ofMillis(ShortTimers.POLL_HOLD_MS);

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    private String publishTo(String uid, Object data) {
        return api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":" + data + "}").path("id").asString();
    }

    private static String position(String cursor) {
        int at = cursor.indexOf('~');
        return at < 0 ? cursor : cursor.substring(0, at);
    }

    @Test
    void firstPollWithoutCursorAnswersAtOnceWithTheCurrentCursor() {
        String uid = uniqueUid("poll");
        String before = publishTo(uid, 0); // offline, no ttl: not for a new poller
        PollTestClient poller = new PollTestClient(port, token(uid));

        PollTestClient.Answer first = poller.poll();

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.contentType()).startsWith("application/json");
        assertThat(first.messages()).isEmpty();
        assertThat(first.took()).isLessThan(HOLD);
        assertThat(first.cursor()).contains("~");
        assertThat(poller.clientId()).isNotBlank();

        String after = publishTo(uid, 1);
        PollTestClient.Answer next = poller.poll();
        assertThat(next.ids()).as("only what was published after the first answer").containsExactly(after)
                .doesNotContain(before);
        assertThat(position(next.cursor())).isEqualTo(after);
        assertThat(next.messages().get(0).path("data").asInt()).isEqualTo(1);
    }

    @Test
    void aPollWithNothingToAnswerWaitsTheHoldThenAnswersEmptyAtTheSamePosition() {
        String uid = uniqueUid("poll");
        PollTestClient poller = new PollTestClient(port, token(uid));
        String cursor = poller.poll().cursor();

        PollTestClient.Answer answer = poller.poll();

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.messages()).isEmpty();
        assertThat(answer.took()).isGreaterThanOrEqualTo(HOLD);
        PollCursor before = PollCursor.parse(cursor);
        PollCursor after = PollCursor.parse(answer.cursor());
        assertThat(after.clientId()).isEqualTo(before.clientId());
        assertThat(after.position().epoch()).isEqualTo(before.position().epoch());
        assertThat(after.position().seq()).as("the same position").isEqualTo(before.position().seq());
        assertThat(after.position().ts()).as("timed at the answer, so it does not age").isGreaterThanOrEqualTo(
                before.position().ts());

        String next = publishTo(uid, 1);
        assertThat(poller.poll().ids()).containsExactly(next);
    }

    @Test
    void aWaitingPollIsAnsweredWithTheMessageAsSoonAsItIsPublished() {
        String uid = uniqueUid("poll");
        PollTestClient poller = new PollTestClient(port, token(uid));
        poller.poll();

        CompletableFuture<PollTestClient.Answer> waiting = poller.pollAsync();
        String id = publishTo(uid, "\"wake\"");
        PollTestClient.Answer answer = PollTestClient.join(waiting);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.ids()).containsExactly(id);
        assertThat(position(answer.cursor())).isEqualTo(id);
    }

    @Test
    void twoPollersOfOneUidEachGetEveryMessage() {
        String uid = uniqueUid("poll");
        PollTestClient phone = new PollTestClient(port, token(uid));
        PollTestClient laptop = new PollTestClient(port, token(uid));
        phone.poll();
        laptop.poll();
        assertThat(phone.clientId()).isNotEqualTo(laptop.clientId());

        List<String> ids = List.of(publishTo(uid, 1), publishTo(uid, 2), publishTo(uid, 3));

        assertThat(phone.pollMessages(3)).extracting(m -> m.path("id").asString()).containsExactlyElementsOf(ids);
        assertThat(laptop.pollMessages(3)).extracting(m -> m.path("id").asString()).containsExactlyElementsOf(ids);
        assertThat(api.get("/api/v1/uids/" + uid).path("sessions").asInt()).isEqualTo(2);
    }

    @Test
    void aPollerIsOnlineWhilePollingAndGoesOfflineAfterTheGrace() {
        String uid = uniqueUid("poll");
        PollTestClient poller = new PollTestClient(port, token(uid));
        assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isFalse();

        poller.poll();
        CompletableFuture<PollTestClient.Answer> waiting = poller.pollAsync();
        JsonNode presence = api.get("/api/v1/uids/" + uid);
        assertThat(presence.path("online").asBoolean()).isTrue();
        assertThat(presence.path("sessions").asInt()).isEqualTo(1);
        assertThat(presence.path("clientIds").toString()).contains(poller.clientId());
        assertThat(api.get("/api/v1/stats").path("total").path("sessionsByTransport").path("long-poll").asInt())
                .isPositive();
        assertThat(PollTestClient.join(waiting).messages()).isEmpty();

        long ended = System.nanoTime();
        assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean())
                .as("still online within the grace after the last poll").isTrue();
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isFalse());
        assertThat(Duration.ofNanos(System.nanoTime() - ended))
                .isGreaterThanOrEqualTo(Duration.ofMillis(ShortTimers.POLL_GRACE_MS / 2));

        // coming back later with the old cursor just continues, as a new session
        String missed = publishTo(uid, "\"while away\"");
        assertThat(poller.poll().ids()).containsExactly(missed);
        assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isTrue();
    }

    @Test
    void aBadCursorIsABadRequestProblem() {
        PollTestClient poller = new PollTestClient(port, token(uniqueUid("poll")));
        for (String bad : List.of("garbage", "abcde-1-1~has space", "-1-1")) {
            PollTestClient.Answer answer = poller.pollWith(bad);
            assertThat(answer.status()).as(bad).isEqualTo(400);
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.json().path("type").asString()).isEqualTo("urn:pushgate:problem:bad-request");
        }
    }

    @Test
    void messagesBeyondOneBatchComeInOrderAcrossConsecutivePollsEachOnce() {
        String uid = uniqueUid("poll");
        PollTestClient poller = new PollTestClient(port, token(uid));
        poller.poll();
        int count = ShortTimers.POLL_BATCH * 2 + 5;
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"to\":{\"uids\":[\"").append(uid)
                    .append("\"]},\"event\":\"e\",\"data\":").append(i).append('}');
        }
        List<String> published = new ArrayList<>();
        api.post("/api/v1/messages:batch", batch.append(']').toString(), 200)
                .forEach(answer -> published.add(answer.path("id").asString()));

        List<String> received = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        while (received.size() < count) {
            PollTestClient.Answer answer = poller.poll();
            assertThat(answer.took()).as("pending messages are answered at once").isLessThan(HOLD);
            assertThat(answer.ids()).isNotEmpty();
            assertThat(position(answer.cursor())).isEqualTo(answer.ids().get(answer.ids().size() - 1));
            sizes.add(answer.ids().size());
            received.addAll(answer.ids());
        }

        assertThat(sizes).containsExactly(ShortTimers.POLL_BATCH, ShortTimers.POLL_BATCH, 5);
        assertThat(received).containsExactlyElementsOf(published);
    }

    @Test
    void aPollerJoinsAnAllowedGroupWithItsClientIdAndThenGetsTheGroupsMessages() {
        String uid = uniqueUid("poll");
        String room = uniqueUid("room");
        PollTestClient poller = new PollTestClient(port, token(uid, List.of(room), List.of(room)));
        poller.poll();
        assertThat(api.get("/api/v1/groups/" + room).path("sessions").asInt()).as("joined from the token").isEqualTo(1);

        PollTestClient.Answer left = poller.command("leave",
                "{\"clientId\":\"" + poller.clientId() + "\",\"group\":\"" + room + "\"}");
        assertThat(left.status()).isEqualTo(200);
        assertThat(left.json().path("ok").asBoolean()).isTrue();
        api.publish("{\"to\":{\"groups\":[\"" + room + "\"]},\"event\":\"e\",\"data\":\"not for me\"}");
        String marker = publishTo(uid, "\"marker\"");
        assertThat(poller.poll().ids()).as("no group message after leaving").containsExactly(marker);

        PollTestClient.Answer joined = poller.command("join",
                "{\"clientId\":\"" + poller.clientId() + "\",\"group\":\"" + room + "\"}");
        assertThat(joined.status()).isEqualTo(200);
        assertThat(joined.json().path("ok").asBoolean()).isTrue();
        String groupMessage = api.publish("{\"to\":{\"groups\":[\"" + room + "\"]},\"event\":\"e\",\"data\":\"for me\"}")
                .path("id").asString();
        PollTestClient.Answer answer = poller.poll();
        assertThat(answer.ids()).containsExactly(groupMessage);
        assertThat(answer.messages().get(0).path("to").path("group").asString()).isEqualTo(room);

        PollTestClient.Answer published = poller.command("publish",
                "{\"group\":\"" + room + "\",\"event\":\"chat\",\"data\":{\"text\":\"hello\"}}");
        assertThat(published.status()).isEqualTo(200);
        JsonNode own = poller.pollMessages(1).get(0);
        assertThat(own.path("id").asString()).isEqualTo(published.json().path("id").asString());
        assertThat(own.path("event").asString()).isEqualTo("chat");
        assertThat(own.path("data").path("text").asString()).isEqualTo("hello");
    }

    @Test
    void joiningAGroupTheTokenDoesNotAllowIsForbidden() {
        PollTestClient poller = new PollTestClient(port, token(uniqueUid("poll"), List.of("allowed"), List.of()));
        poller.poll();

        PollTestClient.Answer answer = poller.command("join",
                "{\"clientId\":\"" + poller.clientId() + "\",\"group\":\"" + uniqueUid("secret") + "\"}");

        assertThat(answer.status()).isEqualTo(403);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.json().path("type").asString()).isEqualTo("urn:pushgate:problem:forbidden");

        PollTestClient.Answer publish = poller.command("publish", "{\"group\":\"allowed\",\"data\":1}");
        assertThat(publish.status()).as("publishing needs the publish claim").isEqualTo(403);
    }
}
