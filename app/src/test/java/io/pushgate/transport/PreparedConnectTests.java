package io.pushgate.transport;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.Cursor;
import io.pushgate.core.Prepared;
import io.pushgate.core.Publication;
import io.pushgate.core.PushNode;
import io.pushgate.core.Target;
import io.pushgate.support.Api;
import io.pushgate.support.PollTestClient;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.ShortTimers;
import io.pushgate.support.WsTestClient;
import io.pushgate.transport.workerman.WorkermanWebSocket;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The transports on a partitioned cluster log, with the cluster played by the test: each session's
 * {@link Prepared} comes when the test answers the node's question, and what the partition applies comes
 * through {@link PushNode#applyPartitioned}. Its own server (partitioned mode cannot be undone), closed after.
 * Each test uses an epoch of its own, so partitions shared by the tests' uids never mix their positions.
 */
@PushgateIntegrationTest
@ShortTimers
@TestPropertySource(properties = {"pushgate.test.context=partitioned", // a server of this class's own
        "pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=4242",
        "pushgate.compat.pusher.key=" + PreparedConnectTests.PUSHER_KEY, "pushgate.compat.pusher.secret=test-pusher-secret-0123456789",
        "pushgate.compat.workerman-ws.enabled=true", "pushgate.compat.socket-io.enabled=true"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class PreparedConnectTests {

    static final String PUSHER_KEY = "test-pusher-key";
    private static final int PARTITIONS = 4;
    private static final Preparer PREPARER = new Preparer();
    private static final AtomicBoolean PARTITIONED = new AtomicBoolean();
    private static final AtomicInteger EPOCHS = new AtomicInteger();

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Autowired
    PushNode node;

    /** The cluster's side: every question the node asks waits for the test's answer. */
    static final class Preparer implements Prepared.Preparer {

        record Ask(String uid, @Nullable Cursor after, Sinks.One<Prepared> answer) {

            void answer(Prepared prepared) {
                assertThat(answer.tryEmitValue(prepared).isSuccess()).isTrue();
            }

            void fail() {
                assertThat(answer.tryEmitError(new BrokerUnavailableException("Redis cannot be reached", null))
                        .isSuccess()).isTrue();
            }
        }

        private final Map<String, BlockingQueue<Ask>> asks = new ConcurrentHashMap<>();
        /** Every question, for uids the server makes up (Pusher's). */
        private final BlockingQueue<Ask> all = new LinkedBlockingQueue<>();

        @Override
        public Mono<Prepared> prepare(String uid, @Nullable Cursor after) {
            Sinks.One<Prepared> answer = Sinks.one();
            Ask ask = new Ask(uid, after, answer);
            asks(uid).add(ask);
            all.add(ask);
            return answer.asMono();
        }

        /** The node's next question for a uid starting with {@code prefix}, taken from its uid's queue too. */
        Ask nextStartingWith(String prefix) {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < deadline) {
                    Ask ask = all.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (ask != null && ask.uid().startsWith(prefix)) {
                        asks(ask.uid()).remove(ask);
                        return ask;
                    }
                }
                throw new AssertionError("the node asked nothing for a uid starting with " + prefix);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        private BlockingQueue<Ask> asks(String uid) {
            return asks.computeIfAbsent(uid, u -> new LinkedBlockingQueue<>());
        }

        /** The node's next question for the uid, failing the test when it asks none in time. */
        Ask next(String uid) {
            try {
                Ask ask = asks(uid).poll(10, TimeUnit.SECONDS);
                assertThat(ask).as("the node asks the cluster for " + uid).isNotNull();
                return ask;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        @Nullable Ask poll(String uid, Duration wait) throws InterruptedException {
            return asks(uid).poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @BeforeEach
    void partitioned() {
        if (PARTITIONED.compareAndSet(false, true)) {
            node.partitionSessions(PARTITIONS, PreparedConnectTests::partitionOf, PREPARER);
        }
    }

    private static int partitionOf(String uid) {
        return Math.floorMod(uid.hashCode(), PARTITIONS);
    }

    private static String epoch() {
        return "p" + EPOCHS.incrementAndGet();
    }

    private static Publication toUid(String uid, int n) {
        return new Publication(Target.uid(uid), "e", Integer.toString(n), 0);
    }

    private Prepared prepared(String uid, Cursor start, List<Prepared.Logged> logged) {
        return new Prepared(partitionOf(uid), start, node.localSeq(), logged, false, List.of());
    }

    private int sessions(String uid) {
        return api.get("/api/v1/uids/" + uid).path("sessions").asInt();
    }

    // ---- WebSocket ------------------------------------------------------------------------------------

    @Test
    void aWebSocketIsWelcomedOnlyOnceTheClusterAnsweredAtItsPartitionsPositionThenGetsThePartitionsCopies() {
        String uid = uniqueUid("pws");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            Preparer.Ask ask = PREPARER.next(uid);
            assertThat(ask.after()).isNull();
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                    .until(() -> ws.drain().isEmpty() && !ws.isClosed());

            ask.answer(prepared(uid, new Cursor(epoch, 41, ts), List.of()));

            JsonNode welcome = ws.next();
            assertThat(welcome.path("type").asString()).isEqualTo("welcome");
            Cursor at = Cursor.parse(welcome.path("cursor").asString());
            assertThat(at.epoch()).isEqualTo(epoch);
            assertThat(at.seq()).isEqualTo(41);
            Cursor id = new Cursor(epoch, 42, ts + 1);
            node.applyPartitioned(partitionOf(uid), id, toUid(uid, 42), List.of());
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(id.text());
        }
    }

    @Test
    void anAuthFrameIsAnsweredAfterTheWelcomeAndFramesSentMeanwhileAreHandledInOrderAfterIt() {
        String uid = uniqueUid("pws");
        try (WsTestClient ws = WsTestClient.connect(api.ws(""))) {
            ws.sendJson(Map.of("type", "auth", "token", token(uid), "ref", 1));
            Preparer.Ask ask = PREPARER.next(uid);
            ws.sendJson(Map.of("type", "ping", "ref", 2));
            ws.sendJson(Map.of("type", "join", "group", "nope", "ref", 3)); // not allowed by the token: an error reply
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> ws.drain().isEmpty());

            ask.answer(prepared(uid, new Cursor(epoch(), 1, System.currentTimeMillis()), List.of()));

            assertThat(ws.next().path("type").asString()).isEqualTo("welcome");
            assertThat(ws.next(f -> "reply".equals(f.path("type").asString())).path("ref").asLong()).isEqualTo(1);
            assertThat(ws.next(f -> "reply".equals(f.path("type").asString())).path("ref").asLong()).isEqualTo(2);
            JsonNode refused = ws.next(f -> "reply".equals(f.path("type").asString()));
            assertThat(refused.path("ref").asLong()).isEqualTo(3);
            assertThat(refused.path("ok").asBoolean()).isFalse();
        }
    }

    @Test
    void aWebSocketResumingFromACursorGetsTheLoggedEntriesForItThenLiveOnes() {
        String uid = uniqueUid("pws");
        String other = uniqueUid("pws");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        Cursor from = new Cursor(epoch, 40, ts);
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid) + "&cursor=" + from.text()))) {
            Preparer.Ask ask = PREPARER.next(uid);
            assertThat(ask.after()).isEqualTo(from);
            ask.answer(prepared(uid, new Cursor(epoch, 45, ts), List.of(
                    new Prepared.Logged(new Cursor(epoch, 40, ts), toUid(uid, 40)), // the cursor's own: had it
                    new Prepared.Logged(new Cursor(epoch, 41, ts), toUid(uid, 41)),
                    new Prepared.Logged(new Cursor(epoch, 42, ts), toUid(other, 42)),
                    new Prepared.Logged(new Cursor(epoch, 43, ts), new Publication(Target.group("elsewhere"), "e", "43", 0)),
                    new Prepared.Logged(new Cursor(epoch, 44, ts), toUid(uid, 44)))));

            assertThat(ws.next().path("type").asString()).isEqualTo("welcome");
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(new Cursor(epoch, 41, ts).text());
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(new Cursor(epoch, 44, ts).text());
            Cursor live = new Cursor(epoch, 46, ts + 1);
            node.applyPartitioned(partitionOf(uid), live, toUid(uid, 46), List.of());
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(live.text());
        }
    }

    @Test
    void theResumeFrameReplaysWhatTheClusterReadAndAnswersUnavailableWhenItCannotBeRead() {
        String uid = uniqueUid("pws");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            PREPARER.next(uid).answer(prepared(uid, new Cursor(epoch, 50, ts), List.of()));
            assertThat(ws.next().path("type").asString()).isEqualTo("welcome");

            Cursor from = new Cursor(epoch, 47, ts);
            ws.sendJson(Map.of("type", "resume", "cursor", from.text(), "ref", 1));
            Preparer.Ask ask = PREPARER.next(uid);
            assertThat(ask.after()).isEqualTo(from);
            ask.answer(prepared(uid, new Cursor(epoch, 50, ts), List.of(
                    new Prepared.Logged(new Cursor(epoch, 48, ts), toUid(uid, 48)),
                    new Prepared.Logged(new Cursor(epoch, 49, ts), toUid(uid, 49)))));
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(new Cursor(epoch, 48, ts).text());
            assertThat(ws.nextMessage().path("id").asString()).isEqualTo(new Cursor(epoch, 49, ts).text());
            JsonNode reply = ws.nextOfType("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(1);
            assertThat(reply.path("ok").asBoolean()).isTrue();
            assertThat(reply.path("result").path("replayed").asInt()).isEqualTo(2);
            assertThat(reply.path("result").path("reset").asBoolean()).isFalse();

            ws.sendJson(Map.of("type", "resume", "cursor", from.text(), "ref", 2));
            PREPARER.next(uid).fail();
            JsonNode refused = ws.nextOfType("reply");
            assertThat(refused.path("ref").asLong()).isEqualTo(2);
            assertThat(refused.path("ok").asBoolean()).isFalse();
            assertThat(refused.path("error").path("code").asString()).isEqualTo("unavailable");
            assertThat(ws.isClosed()).as("the connection stays").isFalse();
        }
    }

    @Test
    void aWebSocketWhoseClusterCannotBeReadIsClosedWith1013AndLeavesNoSession() {
        String uid = uniqueUid("pws");
        try (WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            PREPARER.next(uid).fail();

            assertThat(ws.awaitClose().code()).isEqualTo(1013);
            assertThat(ws.drain()).as("never welcomed").noneMatch(f -> "welcome".equals(f.path("type").asString()));
            assertThat(sessions(uid)).isZero();
        }
    }

    @Test
    void aWebSocketGoneWhileTheClusterAnsweredNeverConnects() {
        String uid = uniqueUid("pws");
        long connects = node.meters().connects("websocket");
        WsTestClient ws = WsTestClient.connect(api.ws("token=" + token(uid)));
        Preparer.Ask ask = PREPARER.next(uid);
        assertThat(ws.closeHandshake().code()).as("the server echoed the close: it knows").isEqualTo(1000);

        ask.answer(prepared(uid, new Cursor(epoch(), 1, System.currentTimeMillis()), List.of()));

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> node.meters().connects("websocket") == connects && sessions(uid) == 0);
    }

    // ---- SSE ------------------------------------------------------------------------------------------

    /** A stream from another origin is left to WebFlux ({@code SseHandler}); one without is taken from Netty. */
    private static Map<String, String> headers(boolean direct, Map<String, String> headers) {
        Map<String, String> all = new java.util.HashMap<>(headers);
        if (!direct) {
            all.put("Origin", "https://app.example.com");
        }
        return all;
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void anSseStreamStartsOnlyOnceTheClusterAnsweredThenResumesFromTheLoggedEntriesAndGoesLive(boolean direct) {
        String uid = uniqueUid("psse");
        String other = uniqueUid("psse");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        Cursor from = new Cursor(epoch, 10, ts);
        CompletableFuture<SseTestClient> opening = CompletableFuture.supplyAsync(() ->
                SseTestClient.open(port, "token=" + token(uid), headers(direct, Map.of("Last-Event-ID", from.text()))));
        Preparer.Ask ask = PREPARER.next(uid);
        assertThat(ask.after()).isEqualTo(from);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !opening.isDone());

        ask.answer(prepared(uid, new Cursor(epoch, 13, ts), List.of(
                new Prepared.Logged(new Cursor(epoch, 11, ts), toUid(uid, 11)),
                new Prepared.Logged(new Cursor(epoch, 12, ts), toUid(other, 12)),
                new Prepared.Logged(new Cursor(epoch, 13, ts), toUid(uid, 13)))));

        try (SseTestClient sse = opening.join()) {
            assertThat(sse.status()).isEqualTo(200);
            SseTestClient.Event welcome = sse.next();
            assertThat(welcome.event()).isEqualTo("welcome");
            Cursor at = Cursor.parse(welcome.json().path("cursor").asString());
            assertThat(at.epoch()).isEqualTo(epoch);
            assertThat(at.seq()).isEqualTo(13);
            assertThat(sse.nextMessage().id()).isEqualTo(new Cursor(epoch, 11, ts).text());
            assertThat(sse.nextMessage().id()).isEqualTo(new Cursor(epoch, 13, ts).text());
            Cursor live = new Cursor(epoch, 14, ts + 1);
            node.applyPartitioned(partitionOf(uid), live, toUid(uid, 14), List.of());
            assertThat(sse.nextMessage().id()).isEqualTo(live.text());
        }
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void anSseStreamWhoseClusterCannotBeReadIsA503AndLeavesNoSession(boolean direct) throws InterruptedException {
        String uid = uniqueUid("psse");
        CompletableFuture<SseTestClient> opening = CompletableFuture.supplyAsync(() ->
                SseTestClient.open(port, "token=" + token(uid), headers(direct, Map.of())));
        PREPARER.next(uid).fail();
        // a stream taken from the Netty pipeline goes on to WebFlux to be answered, which asks again
        while (!opening.isDone()) {
            Preparer.Ask again = PREPARER.poll(uid, Duration.ofMillis(100));
            if (again != null) {
                again.fail();
            }
        }

        try (SseTestClient sse = opening.join()) {
            assertThat(sse.status()).isEqualTo(503);
            assertThat(sse.header("Content-Type")).startsWith("application/problem+json");
            assertThat(sse.bodyJson().path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");
        }
        assertThat(sessions(uid)).isZero();
    }

    // ---- long poll ------------------------------------------------------------------------------------

    @Test
    void pollsReadWhatTheClusterReadAndAWaitingPollIsWokenByThePartitionsCopy() {
        String uid = uniqueUid("ppoll");
        String other = uniqueUid("ppoll");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        PollTestClient poller = new PollTestClient(port, token(uid));

        CompletableFuture<PollTestClient.Answer> first = poller.pollAsync();
        Preparer.Ask ask = PREPARER.next(uid);
        assertThat(ask.after()).isNull();
        Cursor held = new Cursor(epoch, 58, ts);
        ask.answer(new Prepared(partitionOf(uid), new Cursor(epoch, 60, ts), node.localSeq(), List.of(), false,
                List.of(new Prepared.Logged(held, toUid(uid, 58)))));
        PollTestClient.Answer started = PollTestClient.join(first);
        assertThat(started.status()).isEqualTo(200);
        assertThat(started.ids()).as("what the partition held for the uid").containsExactly(held.text());
        Cursor start = Cursor.parse(position(started.cursor()));
        assertThat(start.epoch()).isEqualTo(epoch);
        assertThat(start.seq()).isEqualTo(60);

        CompletableFuture<PollTestClient.Answer> second = poller.pollAsync();
        ask = PREPARER.next(uid);
        assertThat(ask.after().epoch()).isEqualTo(epoch);
        assertThat(ask.after().seq()).isEqualTo(60);
        ask.answer(prepared(uid, new Cursor(epoch, 63, ts), List.of(
                new Prepared.Logged(new Cursor(epoch, 61, ts), toUid(uid, 61)),
                new Prepared.Logged(new Cursor(epoch, 62, ts), toUid(other, 62)),
                new Prepared.Logged(new Cursor(epoch, 63, ts), toUid(uid, 63)))));
        PollTestClient.Answer logged = PollTestClient.join(second);
        assertThat(logged.ids()).containsExactly(new Cursor(epoch, 61, ts).text(), new Cursor(epoch, 63, ts).text());
        assertThat(position(logged.cursor())).isEqualTo(new Cursor(epoch, 63, ts).text());

        CompletableFuture<PollTestClient.Answer> waiting = poller.pollAsync();
        ask = PREPARER.next(uid);
        assertThat(ask.after().seq()).isEqualTo(63);
        ask.answer(prepared(uid, new Cursor(epoch, 63, ts), List.of()));
        Cursor live = new Cursor(epoch, 64, ts + 1);
        node.applyPartitioned(partitionOf(uid), live, toUid(uid, 64), List.of());
        PollTestClient.Answer woken = PollTestClient.join(waiting);
        assertThat(woken.ids()).containsExactly(live.text());
        assertThat(position(woken.cursor())).isEqualTo(live.text());
    }

    @Test
    void aPollOfACursorTheClusterCannotHonourIsAResetToThePartitionsPosition() {
        String uid = uniqueUid("ppoll");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        Cursor stale = new Cursor("gone", 3, ts);

        CompletableFuture<PollTestClient.Answer> polling = new PollTestClient(port, token(uid)).cursor(stale.text()).pollAsync();
        PREPARER.next(uid).answer(new Prepared(partitionOf(uid), new Cursor(epoch, 70, ts), node.localSeq(), List.of(),
                true, List.of()));
        PollTestClient.Answer answer = PollTestClient.join(polling);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.messages()).singleElement().satisfies(m -> assertThat(m.path("type").asString()).isEqualTo("reset"));
        Cursor now = Cursor.parse(position(answer.cursor()));
        assertThat(now.epoch()).isEqualTo(epoch);
        assertThat(now.seq()).isEqualTo(70);
    }

    @Test
    void aPollWhoseClusterCannotBeReadIsA503AndMakesNoSession() {
        String uid = uniqueUid("ppoll");
        CompletableFuture<PollTestClient.Answer> polling = new PollTestClient(port, token(uid)).pollAsync();
        PREPARER.next(uid).fail();
        PollTestClient.Answer answer = PollTestClient.join(polling);

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.json().path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");
        assertThat(sessions(uid)).isZero();
    }

    // ---- Pusher, Workerman, Socket.IO: new sessions only -----------------------------------------------

    @Test
    void aPusherConnectionIsEstablishedOnlyOnceTheClusterAnsweredThenGetsWhatWasHeldAndTheCopies() {
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        try (WsTestClient ws = WsTestClient.connect(URI.create("ws://127.0.0.1:" + port + "/app/" + PUSHER_KEY + "?protocol=7"))) {
            Preparer.Ask ask = PREPARER.nextStartingWith("pusher-");
            String uid = ask.uid();
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> ws.drain().isEmpty());
            ask.answer(new Prepared(partitionOf(uid), new Cursor(epoch, 5, ts), node.localSeq(), List.of(), false,
                    List.of(new Prepared.Logged(new Cursor(epoch, 4, ts), toUid(uid, 4)))));

            assertThat(ws.next().path("event").asString()).isEqualTo("pusher:connection_established");
            JsonNode held = ws.next();
            assertThat(held.path("event").asString()).isEqualTo("e");
            assertThat(held.path("data").asString()).isEqualTo("4");
            node.applyPartitioned(partitionOf(uid), new Cursor(epoch, 6, ts + 1), toUid(uid, 6), List.of());
            assertThat(ws.next(f -> "e".equals(f.path("event").asString(null))).path("data").asString()).isEqualTo("6");
        }
    }

    @Test
    void aPusherConnectionWhoseClusterCannotBeReadIsToldToReconnect() {
        try (WsTestClient ws = WsTestClient.connect(URI.create("ws://127.0.0.1:" + port + "/app/" + PUSHER_KEY + "?protocol=7"))) {
            Preparer.Ask ask = PREPARER.nextStartingWith("pusher-");
            ask.fail();

            JsonNode error = ws.next();
            assertThat(error.path("event").asString()).isEqualTo("pusher:error");
            assertThat(error.path("data").path("code").asInt()).isEqualTo(4200);
            assertThat(ws.awaitClose().code()).isEqualTo(4200);
            assertThat(sessions(ask.uid())).isZero();
        }
    }

    @Test
    void aWorkermanPageOpensOnlyOnceTheClusterAnsweredAndIsClosedWith1013WhenItCannotBeRead() {
        String uid = uniqueUid("pwm");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        URI page = URI.create("ws://localhost:" + port + WorkermanWebSocket.PATH);
        try (WsTestClient ws = WsTestClient.connect(page)) {
            ws.send(uid);
            Preparer.Ask ask = PREPARER.next(uid);
            assertThat(sessions(uid)).isZero();
            ask.answer(new Prepared(partitionOf(uid), new Cursor(epoch, 8, ts), node.localSeq(), List.of(), false,
                    List.of(new Prepared.Logged(new Cursor(epoch, 7, ts), toUid(uid, 7)))));

            assertThat(ws.nextText("")).as("what was held, the first frame").isEqualTo("7");
            node.applyPartitioned(partitionOf(uid), new Cursor(epoch, 9, ts + 1), toUid(uid, 9), List.of());
            assertThat(ws.nextText("")).isEqualTo("9");
        }

        String refused = uniqueUid("pwm");
        try (WsTestClient ws = WsTestClient.connect(page)) {
            ws.send(refused);
            PREPARER.next(refused).fail();
            assertThat(ws.awaitClose().code()).isEqualTo(1013);
            assertThat(sessions(refused)).isZero();
        }
    }

    @Test
    void aSocketIoSocketJoinsOnlyOnceTheClusterAnsweredAndItsEngineIoSessionClosesWhenItCannotBeRead() {
        String uid = uniqueUid("psio");
        String epoch = epoch();
        long ts = System.currentTimeMillis();
        URI socketIo = URI.create("ws://localhost:" + port + "/socket.io/?EIO=4&transport=websocket");
        try (WsTestClient ws = WsTestClient.connect(socketIo)) {
            assertThat(ws.nextText("")).startsWith("0{");
            ws.send("40{\"token\":\"" + token(uid) + "\"}");
            Preparer.Ask ask = PREPARER.next(uid);
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                    .until(() -> ws.drain().stream().noneMatch(f -> true));
            ask.answer(new Prepared(partitionOf(uid), new Cursor(epoch, 3, ts), node.localSeq(), List.of(), false,
                    List.of(new Prepared.Logged(new Cursor(epoch, 2, ts), toUid(uid, 2)))));

            // what was held may come before the namespace's connect packet (the client buffers it), as without a cluster
            List<String> joined = List.of(ws.nextText("4"), ws.nextText("4"));
            assertThat(joined).anyMatch(packet -> packet.startsWith("40{\"sid\":")).contains("42[\"e\",2]");
            node.applyPartitioned(partitionOf(uid), new Cursor(epoch, 4, ts + 1), toUid(uid, 4), List.of());
            assertThat(ws.nextText("42")).isEqualTo("42[\"e\",4]");
        }

        String refused = uniqueUid("psio");
        try (WsTestClient ws = WsTestClient.connect(socketIo)) {
            assertThat(ws.nextText("")).startsWith("0{");
            ws.send("40{\"token\":\"" + token(refused) + "\"}");
            PREPARER.next(refused).fail();
            ws.awaitClose();
            assertThat(sessions(refused)).isZero();
        }
    }

    private static String position(String cursor) {
        int at = cursor.indexOf('~');
        return at < 0 ? cursor : cursor.substring(0, at);
    }
}
