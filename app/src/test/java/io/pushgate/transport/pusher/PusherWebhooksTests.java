package io.pushgate.transport.pusher;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import io.pushgate.support.Api;
import io.pushgate.support.ClusterNode;
import io.pushgate.support.NodePusherClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.PusherSocket;
import io.pushgate.support.PusherWebhookReceiver;
import io.pushgate.support.TestBackend;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pusher's webhooks from one node, as an app's webhook endpoint receives them: a real HTTP server checks every
 * request's {@code X-Pusher-Key} and {@code X-Pusher-Signature} itself, and the stock {@code pusher} SDK's
 * {@code webhook(…).isValid()} accepts them. Client events also reach pushgate's backend as {@code message}
 * events.
 */
@PushgateIntegrationTest
class PusherWebhooksTests {

    static final String KEY = PusherCompatTests.KEY;
    static final String SECRET = PusherCompatTests.SECRET;
    static final int QUEUE = 40;

    static final PusherWebhookReceiver receiver = PusherWebhookReceiver.start(KEY, SECRET);
    static final TestBackend backend = TestBackend.start();

    @DynamicPropertySource
    static void pointAtReceivers(DynamicPropertyRegistry registry) {
        registry.add("pushgate.compat.pusher.enabled", () -> "true");
        registry.add("pushgate.compat.pusher.app-id", () -> PusherCompatTests.APP_ID);
        registry.add("pushgate.compat.pusher.key", () -> KEY);
        registry.add("pushgate.compat.pusher.secret", () -> SECRET);
        registry.add("pushgate.compat.pusher.webhook-url", receiver::url);
        backend.register(registry); // pushgate's own backend events, for client events as `message`
        registry.add("pushgate.events.types", () -> "message");
        registry.add("pushgate.events.queue", () -> Integer.toString(QUEUE));
        registry.add("pushgate.events.timeout", () -> "1s");
    }

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Autowired
    MeterRegistry meters;

    @AfterEach
    void everySignatureVerified() {
        receiver.down(false);
        receiver.answer();
        assertThat(receiver.badSignatures()).as("webhooks whose key or signature the receiver could not verify").isZero();
        assertThat(backend.badSignatures()).isZero();
    }

    @AfterAll
    static void stopReceivers() {
        receiver.close();
        backend.close();
    }

    private PusherSocket connect() {
        return PusherSocket.connect(port, KEY, SECRET);
    }

    /**
     * Waits until everything this node queued before now has reached the receiver: the node sends its webhooks in
     * the order they were queued, so once a fresh channel's {@code channel_occupied} arrived, nothing earlier
     * is still on its way, and a count taken then is final.
     */
    private void everythingBeforeArrived() {
        String marker = uniqueUid("marker");
        try (PusherSocket socket = connect()) {
            socket.subscribe(marker);
            receiver.await(PusherWebhookReceiver.named("channel_occupied", marker), 1);
        }
    }

    @Test
    void aChannelIsOccupiedByItsFirstConnectionAndVacatedByItsLastOnce() {
        String channel = uniqueUid("room");
        try (PusherSocket first = connect(); PusherSocket second = connect()) {
            first.subscribe(channel);
            receiver.await(PusherWebhookReceiver.named("channel_occupied", channel), 1);
            second.subscribe(channel);
            first.close();
            second.unsubscribe(channel);
            receiver.await(PusherWebhookReceiver.named("channel_vacated", channel), 1);
        }
        everythingBeforeArrived();
        assertThat(receiver.of(channel)).as("the second connection and the first one's leaving told nothing")
                .containsExactly("channel_occupied", "channel_vacated");
    }

    @Test
    void aPresenceUserIsAddedWithItsFirstConnectionAndRemovedWithItsLast() {
        String channel = "presence-" + uniqueUid("members");
        try (PusherSocket ann = connect(); PusherSocket annSecondTab = connect(); PusherSocket bob = connect()) {
            ann.join(channel, "ann");
            annSecondTab.join(channel, "ann");
            bob.join(channel, "bob");
            ann.close(); // Ann is still there in her second tab
            bob.unsubscribe(channel);
            receiver.await(e -> "member_removed".equals(e.path("name").asString(null)) && channel.equals(e.path("channel").asString(null)), 1);
            annSecondTab.close();
            receiver.await(PusherWebhookReceiver.named("channel_vacated", channel), 1);
        }
        everythingBeforeArrived();
        assertThat(receiver.of(channel)).containsExactly("channel_occupied", "member_added:ann", "member_added:bob",
                "member_removed:bob", "member_removed:ann", "channel_vacated");
    }

    @Test
    void aClientEventIsAWebhookWithItsSocketIdAndUserIdAndABackendMessageEvent() {
        String presence = "presence-" + uniqueUid("typing");
        String privateChannel = "private-" + uniqueUid("typing");
        try (PusherSocket ann = connect(); PusherSocket bob = connect()) {
            ann.join(presence, "ann");
            bob.join(presence, "bob");
            ann.subscribe(privateChannel);
            bob.subscribe(privateChannel);

            ann.clientEvent(presence, "client-typing", "{\"typing\":true,\"n\":1.50}");
            assertThat(bob.next("client-typing").path("data").asString()).isEqualTo("{\"typing\":true,\"n\":1.50}");
            ann.clientEvent(privateChannel, "client-said", "\"hello\"");
            bob.next("client-said");

            JsonNode typed = receiver.await(PusherWebhookReceiver.named("client_event", presence), 1).get(0);
            assertThat(typed.toString()).isEqualTo("{\"name\":\"client_event\",\"channel\":\"" + presence
                    + "\",\"event\":\"client-typing\",\"data\":\"{\\\"typing\\\":true,\\\"n\\\":1.50}\",\"socket_id\":\""
                    + ann.socketId() + "\",\"user_id\":\"ann\"}");
            JsonNode said = receiver.await(PusherWebhookReceiver.named("client_event", privateChannel), 1).get(0);
            assertThat(said.path("data").asString()).as("a string the client sent is the string").isEqualTo("hello");
            assertThat(said.path("socket_id").asString()).isEqualTo(ann.socketId());
            assertThat(said.has("user_id")).as("no user on a private channel").isFalse();

            // pushgate's backend hears it as it hears /ws's send frame: a message event of the sender's session
            List<JsonNode> messages = backend.await(TestBackend.ofClient(SocketIds.clientId(ann.socketId())), 2);
            assertThat(messages.get(0).path("type").asString()).isEqualTo("message");
            assertThat(messages.get(0).path("transport").asString()).isEqualTo("pusher");
            assertThat(messages.get(0).path("event").asString()).isEqualTo("client-typing");
            assertThat(backend.rawBatches()).as("the data exactly as the client sent it")
                    .anyMatch(raw -> raw.contains("\"event\":\"client-typing\",\"data\":{\"typing\":true,\"n\":1.50}"));
            assertThat(messages.get(1).path("data").toString()).isEqualTo("\"hello\"");
        }
    }

    @Test
    void webhooksRefusedWhileTheReceiverIsDownArriveWhenItIsBack() {
        String channel = uniqueUid("retried");
        receiver.down(true);
        int refusedBefore = receiver.refused();
        try (PusherSocket socket = connect()) {
            socket.subscribe(channel);
            Awaitility.await().atMost(NodePusherClient.WAIT).until(() -> receiver.refused() > refusedBefore);
            assertThat(receiver.of(channel)).isEmpty();

            receiver.down(false);
            receiver.await(PusherWebhookReceiver.named("channel_occupied", channel), 1);
        }
        everythingBeforeArrived();
        assertThat(receiver.matching(PusherWebhookReceiver.named("channel_occupied", channel))).as("sent again, received once").hasSize(1);
    }

    @Test
    void aReceiverThatHangsNeitherSlowsConnectionsNorHoldsMoreThanTheQueue() {
        everythingBeforeArrived(); // the queue holds this test's webhooks only
        receiver.hang();
        double droppedBefore = meters.get("pushgate.pusher.webhooks.dropped").functionCounter().count();
        String prefix = uniqueUid("hung");
        List<String> channels = new ArrayList<>();
        List<PusherSocket> sockets = new ArrayList<>();
        try (PusherSocket other = connect()) {
            for (int i = 0; i < QUEUE + 20; i++) {
                if (i % 10 == 0) {
                    sockets.add(connect()); // ten subscriptions each: within the client frame rate
                }
                channels.add(prefix + "-" + i);
                sockets.get(sockets.size() - 1).subscribe(prefix + "-" + i); // answered at once, though no webhook gets through
            }
            other.subscribe(channels.get(0));
            api.publish("{\"to\":{\"groups\":[\"" + channels.get(0) + "\"]},\"event\":\"still-here\",\"data\":1}");
            assertThat(other.next("still-here").path("data").asString()).isEqualTo("1");
            assertThat(meters.get("pushgate.pusher.webhooks.dropped").functionCounter().count())
                    .as("what the full queue could not take is dropped and counted").isGreaterThan(droppedBefore);

            receiver.answer();
            // every webhook the queue took is delivered (a marker now might find the queue still full)
            Awaitility.await().atMost(NodePusherClient.WAIT)
                    .until(() -> meters.get("pushgate.pusher.webhooks.queued").gauge().value() == 0);
        } finally {
            sockets.forEach(PusherSocket::close);
        }
        long told = channels.stream().filter(c -> !receiver.matching(PusherWebhookReceiver.named("channel_occupied", c)).isEmpty()).count();
        // the queue's worth (the batch in flight counts in it) got through, less what earlier tests' closed
        // connections may have queued meanwhile; the rest was dropped
        assertThat(told).as("occupied channels told").isBetween((long) QUEUE - 4, (long) QUEUE);
    }

    @Tag("e2e")
    @Test
    void theStockPusherSdkAcceptsTheWebhooksAndReadsTheirEvents() {
        String channel = "presence-" + uniqueUid("sdk");
        try (PusherSocket ann = connect(); PusherSocket bob = connect()) {
            ann.join(channel, "ann");
            bob.join(channel, "bob");
            ann.clientEvent(channel, "client-wave", "{\"hand\":\"left\"}");
            receiver.await(PusherWebhookReceiver.named("client_event", channel), 1);
            bob.close();
            receiver.await(PusherWebhookReceiver.named("member_removed", channel), 1);
        }
        receiver.await(PusherWebhookReceiver.named("channel_vacated", channel), 1);
        List<PusherWebhookReceiver.Request> ours = receiver.requests().stream().filter(r -> r.rawBody().contains(channel)).toList();
        assertThat(ours).isNotEmpty();
        JsonMapper json = JsonMapper.builder().build();
        try (NodePusherClient app = NodePusherClient.start("{\"port\":" + port + ",\"appId\":\"" + PusherCompatTests.APP_ID
                + "\",\"key\":\"" + KEY + "\",\"secret\":\"" + SECRET + "\",\"connect\":false}")) {
            List<JsonNode> events = new ArrayList<>();
            for (PusherWebhookReceiver.Request request : ours) {
                JsonNode read = app.call("{\"webhook\":" + json.writeValueAsString(request) + "}");
                assertThat(read.path("valid").asBoolean()).as("the SDK's isValid() of " + request).isTrue();
                assertThat(read.path("time").asLong()).isPositive();
                read.path("events").forEach(e -> {
                    if (channel.equals(e.path("channel").asString(null))) {
                        events.add(e);
                    }
                });
            }
            assertThat(events.stream().map(e -> e.path("name").asString() + (e.has("user_id") ? ":" + e.path("user_id").asString() : "")))
                    .containsExactly("channel_occupied", "member_added:ann", "member_added:bob", "client_event:ann",
                            "member_removed:bob", "member_removed:ann", "channel_vacated");
            JsonNode wave = events.get(3);
            assertThat(wave.path("event").asString()).isEqualTo("client-wave");
            assertThat(json.readTree(wave.path("data").asString()).path("hand").asString()).isEqualTo("left");

            // a body changed on the way is refused by the SDK: the signature covers it
            PusherWebhookReceiver.Request first = ours.get(0);
            PusherWebhookReceiver.Request forged = new PusherWebhookReceiver.Request(first.headers(),
                    first.rawBody().replace(channel, channel + "-forged"));
            assertThat(app.call("{\"webhook\":" + json.writeValueAsString(forged) + "}").path("valid").asBoolean()).isFalse();
        }
    }

    @Test
    void aWebhookUrlThatIsNoHttpUrlStopsTheStartWithTheSettingsName() {
        assertThatThrownBy(() -> ClusterNode.start("bad-hooks", "pushgate.broker=memory", "pushgate.compat.pusher.enabled=true",
                "pushgate.compat.pusher.app-id=1", "pushgate.compat.pusher.key=k", "pushgate.compat.pusher.secret=" + SECRET,
                "pushgate.compat.pusher.webhook-url=ftp://example.org/hooks").close())
                .rootCause().hasMessageContaining("pushgate.compat.pusher.webhook-url").hasMessageContaining("ftp://example.org/hooks");
    }
}
