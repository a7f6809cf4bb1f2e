package io.pushgate.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.pushgate.core.history.InMemoryHistory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import reactor.core.publisher.Flux;

/**
 * The node on several threads at once (issue 17, docs/cores.md): a broadcast whose delivery is stuck on
 * one shard does not hold a connect, a publish or a poll on another; and under concurrent publishes and
 * connects every session gets exactly the messages after its welcome's cursor, in sequence order.
 */
class PushNodeConcurrencyTests {

    static final Duration WAIT = Duration.ofSeconds(10);

    final MessageEncoder encoder = new MessageEncoder() {
        @Override
        public Frame encode(Message message) {
            if ("boom".equals(message.event())) {
                throw new IllegalStateException("this publication cannot be encoded");
            }
            if ("stall".equals(message.event()) && stalls.compareAndSet(false, true)) {
                stalling.countDown(); // the first encoding of it stalls: a publisher preempted before its frames are ready
                await(release);
            }
            return new Frame((message.to().kind() + ":" + message.dataJson()).getBytes(StandardCharsets.UTF_8),
                    message.id(), message.event());
        }

        @Override
        public Frame reset(String cursor) {
            return new Frame("reset".getBytes(StandardCharsets.UTF_8), cursor, "reset");
        }

        @Override
        public Frame ping(String cursor) {
            return new Frame(("ping:" + cursor).getBytes(StandardCharsets.UTF_8), cursor, "ping");
        }
    };
    final PushNode node = new PushNode("n1", new Limits(100_000, 10, 10), encoder,
            new InMemoryHistory(Duration.ofMinutes(2), 100_000, Clock.systemUTC()), Clock.systemUTC(), 4);
    final ExecutorService threads = Executors.newCachedThreadPool();
    final CountDownLatch release = new CountDownLatch(1);
    final java.util.concurrent.atomic.AtomicBoolean stalls = new java.util.concurrent.atomic.AtomicBoolean();
    final CountDownLatch stalling = new CountDownLatch(1);

    @AfterEach
    void close() {
        release.countDown();
        threads.shutdownNow();
        node.close();
    }

    /** Welcome frames are sent with offerFirst; live frames with offer. */
    static class Recorder implements Outlet {
        final List<Frame> frames = new CopyOnWriteArrayList<>();
        volatile String welcome;

        @Override
        public Offer offer(Frame frame) {
            frames.add(frame);
            return Offer.QUEUED;
        }

        @Override
        public Offer offerFirst(Frame frame) {
            if ("welcome".equals(frame.event())) {
                welcome = frame.id();
            }
            frames.add(frame);
            return Offer.QUEUED;
        }

        @Override
        public int room() {
            return Integer.MAX_VALUE;
        }

        @Override
        public void complete() {
        }

        @Override
        public Flux<Frame> frames() {
            return Flux.empty();
        }

        List<Long> messageSeqs() {
            List<Long> seqs = new ArrayList<>();
            for (Frame f : frames) {
                if (f.id() != null && !"welcome".equals(f.event()) && !"ping".equals(f.event())) {
                    seqs.add(Cursor.parse(f.id()).seq());
                }
            }
            return seqs;
        }
    }

    /** An outlet that, on its first live frame, says so and then waits until the test lets it go. */
    final class Stuck extends Recorder {
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public Offer offer(Frame frame) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.offer(frame);
        }
    }

    record Conn(Session session, Recorder outlet) {
    }

    Conn connect(String uid, Recorder outlet, String... groups) {
        return connect(uid, outlet, null, groups);
    }

    Conn connect(String uid, Recorder outlet, Cursor resumeFrom, String... groups) {
        Transport transport = new Transport() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public void close(Disconnect disconnect) {
            }

            @Override
            public Outlet outlet(int capacity) {
                return outlet;
            }
        };
        ClientClaims claims = new ClientClaims(uid, Set.of(groups), Set.of(), Instant.now().plusSeconds(600));
        Session session = node.connect(claims, transport,
                (s, cursor) -> new Frame("welcome".getBytes(StandardCharsets.UTF_8), cursor, "welcome"), resumeFrom);
        assertThat(session).isNotNull();
        return new Conn(session, outlet);
    }

    /** Publishes on one of the test's threads and waits for the answer, at most {@link #WAIT}. */
    PublishResult publishOnAnotherThread(Target target) throws Exception {
        return CompletableFuture.supplyAsync(() -> node.publish(new Publication(target, "m", "2", 0)), threads)
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** A uid whose sessions live in the given shard (or, with {@code other}, in any shard but it). */
    String uidIn(int shard, boolean other, String prefix) {
        for (int i = 0; ; i++) {
            String uid = prefix + i;
            if ((node.shardOf(uid) == shard) != other) {
                return uid;
            }
        }
    }

    @Test
    void aBroadcastStuckInOneShardHoldsNoConnectPublishOrPollInAnother() throws Exception {
        String stuckUid = uidIn(0, false, "s");
        Stuck stuck = new Stuck();
        connect(stuckUid, stuck);
        int otherShard = node.shardOf(uidIn(0, true, "o"));
        Conn bystander = connect(uidIn(otherShard, false, "b"), new Recorder());

        CompletableFuture<PublishResult> broadcast = CompletableFuture.supplyAsync(
                () -> node.publish(new Publication(Target.everyone(), "all", "1", 0)), threads);
        assertThat(stuck.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the broadcast reached the stuck outlet").isTrue();

        // the broadcast's thread is inside a delivery now, and stays there until release
        Conn late = CompletableFuture.supplyAsync(() -> connect(uidIn(otherShard, false, "late"), new Recorder()), threads)
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        PublishResult toLate = publishOnAnotherThread(Target.uid(late.session().uid()));
        Replay polled = CompletableFuture.supplyAsync(() -> {
            Session poller = node.connectPoller(new ClientClaims(uidIn(otherShard, false, "p"), Set.of(), Set.of(),
                    Instant.now().plusSeconds(600)), new Transport() {
                @Override
                public String name() {
                    return "poll";
                }

                @Override
                public void close(Disconnect disconnect) {
                }
            });
            return node.pollOrWait(poller, node.currentCursor(), 10, () -> { });
        }, threads).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(broadcast).as("the broadcast is still stuck").isNotDone();
        assertThat(toLate.sessions()).isEqualTo(1);
        assertThat(late.outlet().messageSeqs()).containsExactly(Cursor.parse(toLate.id()).seq());
        assertThat(polled.reset()).isFalse();
        // the connect delivered the broadcast to its own shard on its way in: the bystander has it already
        assertThat(bystander.outlet().messageSeqs()).hasSize(1);

        release.countDown();
        PublishResult all = broadcast.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(all.sessions()).isEqualTo(2); // the stuck one and the bystander: the late ones came after it
        assertThat(stuck.messageSeqs()).containsExactly(Cursor.parse(all.id()).seq());
    }

    @Test
    void aPublisherStalledBeforeItsFramesAreReadyHoldsUpNoPublishQueuedBehindIt() throws Exception {
        String first = uidIn(0, false, "a");
        String second = uidIn(0, false, "b"); // the same shard: the second publish is queued behind the first
        Conn a = connect(first, new Recorder());
        Conn b = connect(second, new Recorder());

        CompletableFuture<PublishResult> stalled = CompletableFuture.supplyAsync(
                () -> node.publish(new Publication(Target.uid(first), "stall", "1", 0)), threads);
        assertThat(stalling.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("its publisher is encoding it").isTrue();
        PublishResult next = publishOnAnotherThread(Target.uid(second));

        assertThat(stalled).as("its publisher is still stalled").isNotDone();
        assertThat(next.sessions()).isEqualTo(1);
        assertThat(b.outlet().messageSeqs()).containsExactly(Cursor.parse(next.id()).seq());
        // the second publisher encoded the stalled one's frames and delivered it first, in sequence order
        assertThat(a.outlet().messageSeqs()).hasSize(1).allMatch(seq -> seq < Cursor.parse(next.id()).seq());

        release.countDown();
        PublishResult first1 = stalled.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(first1.sessions()).isEqualTo(1);
        assertThat(a.outlet().messageSeqs()).containsExactly(Cursor.parse(first1.id()).seq());
        // in history once, under the id its publisher answered with: a resume from before it gets it once
        Conn resumed = connect(first, new Recorder(), Cursor.parse(a.outlet().welcome));
        assertThat(resumed.outlet().messageSeqs()).containsExactly(Cursor.parse(first1.id()).seq());
    }

    @Test
    void aPublicationWhoseEncodingFailsReachesNobodyAndHoldsUpNothingBehindIt() throws Exception {
        String uid = uidIn(0, false, "f");
        Conn c = connect(uid, new Recorder());

        assertThatThrownBy(() -> node.publish(new Publication(Target.uid(uid), "boom", "1", 0)))
                .isInstanceOf(IllegalStateException.class);
        PublishResult next = publishOnAnotherThread(Target.uid(uid));

        assertThat(next.sessions()).isEqualTo(1);
        assertThat(c.outlet().messageSeqs()).containsExactly(Cursor.parse(next.id()).seq());
        Conn resumed = connect(uid, new Recorder(), Cursor.parse(c.outlet().welcome));
        assertThat(resumed.outlet().messageSeqs()).containsExactly(Cursor.parse(next.id()).seq());
    }

    @Test
    void underConcurrentPublishesAndConnectsEachSessionGetsExactlyWhatFollowsItsWelcomeInOrder() throws Exception {
        int publishers = 3;
        int perPublisher = 600;
        List<Conn> early = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            early.add(connect("e" + i, new Recorder(), "room"));
        }
        ConcurrentHashMap<Long, Target> published = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int t = 0; t < publishers; t++) {
            int me = t;
            running.add(CompletableFuture.runAsync(() -> {
                await(start);
                for (int i = 0; i < perPublisher; i++) {
                    Target target = switch ((i + me) % 3) {
                        case 0 -> Target.everyone();
                        case 1 -> Target.group("room");
                        default -> Target.uid("e" + (i % 8));
                    };
                    PublishResult r = node.publish(new Publication(target, "m", Integer.toString(i), 0));
                    published.put(Cursor.parse(r.id()).seq(), target);
                }
            }, threads));
        }
        List<Conn> late = new CopyOnWriteArrayList<>();
        running.add(CompletableFuture.runAsync(() -> {
            await(start);
            for (int i = 0; i < 40; i++) {
                late.add(connect("l" + i, new Recorder(), "room"));
            }
        }, threads));
        start.countDown();
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        assertThat(published).hasSize(publishers * perPublisher);
        List<Conn> everyone = new ArrayList<>(early);
        everyone.addAll(late);
        for (Conn c : everyone) {
            long from = c.outlet().welcome == null ? 0 : Cursor.parse(c.outlet().welcome).seq();
            List<Long> expected = published.entrySet().stream()
                    .filter(e -> e.getKey() > from)
                    .filter(e -> e.getValue().all() || e.getValue().groups().contains("room")
                            || e.getValue().uids().contains(c.session().uid()))
                    .map(java.util.Map.Entry::getKey).sorted().toList();
            assertThat(c.outlet().messageSeqs()).as("messages of %s after %s", c.session().uid(), from)
                    .containsExactlyElementsOf(expected);
        }
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
