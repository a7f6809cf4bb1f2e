package io.pushgate.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import io.pushgate.core.history.InMemoryHistory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PushNodeTests {

    final AtomicInteger encodings = new AtomicInteger();
    final MessageEncoder encoder = new MessageEncoder() {
        @Override
        public Frame encode(Message message) {
            encodings.incrementAndGet();
            String json = message.to().kind() + ":" + message.to().name() + ":" + message.dataJson();
            return new Frame(json.getBytes(StandardCharsets.UTF_8), message.id(), message.event());
        }

        @Override
        public Frame reset(String cursor) {
            return Frame.control("reset".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Frame ping(String cursor) {
            return new Frame(("ping:" + cursor).getBytes(StandardCharsets.UTF_8), cursor, "ping");
        }
    };
    final PushNode node = new PushNode("n1", new Limits(4, 3, 2), encoder,
            new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC());
    final List<RecordingTransport> transports = new ArrayList<>();

    @AfterEach
    void close() {
        node.close();
    }

    Session connect(String uid, String... groups) {
        RecordingTransport transport = new RecordingTransport();
        transports.add(transport);
        ClientClaims claims = new ClientClaims(uid, Set.of(groups), Set.of(), Instant.now().plusSeconds(60));
        Session session = node.connect(claims, transport, (s, cursor) -> Frame.control("welcome".getBytes(StandardCharsets.UTF_8)), null);
        assertThat(session).isNotNull();
        return session;
    }

    static List<String> take(Session session, int n) {
        List<String> texts = new ArrayList<>();
        session.frames().take(n).map(f -> new String(f.json(), StandardCharsets.UTF_8)).doOnNext(texts::add)
                .blockLast(Duration.ofSeconds(5));
        return texts;
    }

    @Test
    void welcomeIsTheFirstFrameAndAGroupPublishIsEncodedOnceForAllMembers() {
        Session a = connect("a", "room");
        Session b = connect("b", "room");
        Session c = connect("c", "room");

        PublishResult result = node.publish(new Publication(Target.group("room"), "e", "1", 0));

        assertThat(result.sessions()).isEqualTo(3);
        assertThat(encodings).hasValue(1);
        for (Session s : List.of(a, b, c)) {
            assertThat(take(s, 2)).containsExactly("welcome", "GROUP:room:1");
        }
    }

    @Test
    void aSessionMatchedByUidAndGroupGetsThePublishOnceAndExcludedClientsNone() {
        Session a1 = connect("a", "room");
        Session a2 = connect("a");
        Session b = connect("b", "room");

        PublishResult result = node.publish(new Publication(
                new Target(List.of("a", "ghost"), List.of("room"), List.of(), false, Set.of(b.clientId())), "e", "2", 0));

        assertThat(result.sessions()).isEqualTo(2);
        assertThat(result.online()).containsExactly("a");
        assertThat(result.offline()).containsExactly("ghost");
        assertThat(take(a1, 2)).containsExactly("welcome", "GROUP:room:2");
        assertThat(take(a2, 2)).containsExactly("welcome", "UID:a:2");
        node.publish(new Publication(Target.uid("b"), "e", "3", 0));
        assertThat(take(b, 2)).containsExactly("welcome", "UID:b:3"); // nothing from the excluded publish
    }

    @Test
    void aFullQueueClosesOnlyThatSessionAsSlow() {
        Session slow = connect("slow", "room");
        Session fast = connect("fast", "room");
        List<String> fastFrames = new ArrayList<>();
        fast.frames().subscribe(f -> fastFrames.add(new String(f.json(), StandardCharsets.UTF_8)));

        for (int i = 0; i < 10; i++) {
            node.publish(new Publication(Target.group("room"), "e", String.valueOf(i), 0));
        }

        assertThat(slow.isClosed()).isTrue();
        assertThat(slow.disconnect()).isEqualTo(Disconnect.SLOW_CLIENT);
        assertThat(transports.get(0).closes).containsExactly(Disconnect.SLOW_CLIENT);
        assertThat(fastFrames).hasSize(11);
        assertThat(node.stats().dropped()).isEqualTo(1);
    }

    @Test
    void aClientClosedAsSlowResumesEverythingItMissedWhenItFitsTheReplayAllowanceAndIsResetPastIt() {
        List<String> cursors = new ArrayList<>();
        Session slow = connect("slow", cursors);
        for (int i = 0; i < 10; i++) {
            node.publish(new Publication(Target.uid("slow"), "e", String.valueOf(i), 0));
        }
        assertThat(slow.disconnect()).as("a queue of 4 that was never read").isEqualTo(Disconnect.SLOW_CLIENT);
        node.disconnected(slow);

        // it missed more than its queue holds; the replay allowance (2 more queues) takes it whole
        Session back = connect("slow", cursors, Cursor.parse(cursors.get(0)));
        List<String> expected = new ArrayList<>(List.of("welcome"));
        for (int i = 0; i < 10; i++) {
            expected.add("UID:slow:" + i);
        }
        assertThat(take(back, 11)).containsExactlyElementsOf(expected);

        // past the allowance (3 queues in all, the welcome included) a replay would not fit: reset
        node.publish(new Publication(Target.uid("slow"), "e", "10", 0));
        node.publish(new Publication(Target.uid("slow"), "e", "11", 0));
        Session late = connect("slow", cursors, Cursor.parse(cursors.get(0)));
        assertThat(take(late, 2)).containsExactly("welcome", "reset");
    }

    Session connect(String uid, List<String> cursors, Cursor... resumeFrom) {
        RecordingTransport transport = new RecordingTransport();
        transports.add(transport);
        ClientClaims claims = new ClientClaims(uid, Set.of(), Set.of(), Instant.now().plusSeconds(60));
        Session session = node.connect(claims, transport, (s, cursor) -> {
            cursors.add(cursor);
            return Frame.control("welcome".getBytes(StandardCharsets.UTF_8));
        }, resumeFrom.length == 0 ? null : resumeFrom[0]);
        assertThat(session).isNotNull();
        return session;
    }

    @Test
    void refusesSessionsPastThePerUidLimit() {
        connect("u");
        connect("u");
        connect("u");
        Session fourth = node.connect(new ClientClaims("u", Set.of(), Set.of(), Instant.now().plusSeconds(60)),
                new RecordingTransport(), (s, cursor) -> Frame.control(new byte[0]), null);
        assertThat(fourth).isNull();
        assertThat(node.refusal()).isEqualTo(Disconnect.TOO_MANY_SESSIONS);
        assertThat(node.hub().sessionsOf("u")).hasSize(3);
    }

    @Test
    void drainFlushesAndClosesEverySessionWith1001AndRefusesNewOnes() {
        Session a = connect("a");
        node.publish(new Publication(Target.uid("a"), "e", "x", 0));
        List<String> received = new ArrayList<>();
        a.frames().doOnComplete(() -> node.disconnected(a))
                .subscribe(f -> received.add(new String(f.json(), StandardCharsets.UTF_8)));

        assertThat(node.drain(Duration.ofSeconds(5))).isTrue();

        assertThat(received).containsExactly("welcome", "UID:a:x");
        assertThat(a.disconnect()).isEqualTo(Disconnect.SHUTDOWN);
        assertThat(node.connect(new ClientClaims("b", Set.of(), Set.of(), Instant.now().plusSeconds(60)),
                new RecordingTransport(), (s, cursor) -> Frame.control(new byte[0]), null)).isNull();
        assertThat(node.refusal()).isEqualTo(Disconnect.SHUTDOWN);
    }

    @Test
    void aPartitionsCopyReachesOnlyThatPartitionsSessionsAndCarriesThePartitionsCursor() {
        node.partitionSessions(2, uid -> uid.startsWith("a") ? 0 : 1, (uid, after) -> reactor.core.publisher.Mono.empty());
        Session a = connect("a", "room");
        Session b = connect("b", "room");
        Publication toRoom = new Publication(Target.group("room"), "e", "1", 0);
        Publication toAll = new Publication(Target.everyone(), "e", "2", 0);

        node.applyPartitioned(0, new Cursor("pzero", 7, 1_000), toRoom, List.of());
        node.applyPartitioned(1, new Cursor("pone", 3, 1_000), toRoom, List.of());
        node.applyPartitioned(1, new Cursor("pone", 4, 1_000), toAll, List.of());
        node.applyPartitioned(0, new Cursor("pzero", 8, 1_000), toAll, List.of());
        node.applyPartitioned(1, new Cursor("pone", 5, 1_000), new Publication(Target.uid("b"), "e", "3", 0), List.of());

        assertThat(ids(a, 3)).containsExactly("welcome", "pzero-7-rs", "pzero-8-rs");
        assertThat(ids(b, 4)).containsExactly("welcome", "pone-3-rs", "pone-4-rs", "pone-5-rs");
        assertThat(encodings).as("once per copy, whatever the sessions").hasValue(5);
    }

    @Test
    void aPollAnsweredFromThisNodesHistoryEndsAtTheCopysPartitionCursorExactly() {
        node.partitionSessions(1, uid -> 0, (uid, after) -> reactor.core.publisher.Mono.empty());
        Session poller = node.connectPoller(new ClientClaims("p", Set.of(), Set.of(), Instant.now().plusSeconds(60)),
                new RecordingTransport());
        long now = System.currentTimeMillis();
        Prepared prepared = new Prepared(0, new Cursor("pz", 5, now - 5_000), node.localSeq(), List.of(), false, List.of());
        Cursor id = new Cursor("pz", 6, now - 4_000); // appended a while before this node applied it
        node.applyPartitioned(0, id, new Publication(Target.uid("p"), "e", "1", 0), List.of());

        Replay replay = node.pollOrWait(poller, new Cursor("pz", 5, now), 10, () -> { }, prepared);

        assertThat(replay.reset()).isFalse();
        assertThat(replay.entries()).singleElement().satisfies(e -> {
            assertThat(e.frame().id()).isEqualTo(id.text());
            assertThat(new Cursor("pz", e.seq(), e.ts())).as("the next poll's cursor").isEqualTo(id);
        });
    }

    static List<String> ids(Session session, int n) {
        List<String> ids = new ArrayList<>();
        session.frames().take(n).map(f -> f.id() == null ? new String(f.json(), StandardCharsets.UTF_8) : f.id())
                .doOnNext(ids::add).blockLast(Duration.ofSeconds(5));
        return ids;
    }
}
