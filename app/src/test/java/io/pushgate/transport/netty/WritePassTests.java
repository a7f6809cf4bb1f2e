package io.pushgate.transport.netty;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet.Offer;
import io.pushgate.transport.netty.DirectOutletTests.Peer;
import io.pushgate.transport.netty.DirectOutletTests.TextOutlet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link WritePass} promises, on a real event loop thread: live frames' drains run after what the
 * loop already had queued and in slices, so a publish that arrives while the pass is under way reaches
 * every session not yet flushed in the same flush as the earlier frames (fewer writes, same frames, same
 * order, once); a drain that fails does not stall the others; offers from many threads all arrive.
 */
class WritePassTests {

    private final EventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Counts down once per frame written that starts with the prefix. */
    static final class CountingOutlet extends TextOutlet {
        private final String prefix;
        private final CountDownLatch written;

        CountingOutlet(Peer peer, int capacity, WritePass pass, String prefix, CountDownLatch written) {
            super(peer, capacity, pass);
            this.prefix = prefix;
            this.written = written;
        }

        @Override
        protected boolean write(Frame frame) {
            boolean wrote = super.write(frame);
            if (new String(frame.json(), StandardCharsets.UTF_8).startsWith(prefix)) {
                written.countDown();
            }
            return wrote;
        }
    }

    private static Frame frame(String text) {
        return Frame.control(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs on the loop and waits for it: the peers are written on the loop thread and read here. */
    private <T> T onLoop(java.util.concurrent.Callable<T> work) throws Exception {
        return loop.submit(work).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aPublishArrivingMidPassReachesTheSessionsNotYetFlushedInTheSameFlush() throws Exception {
        int sessions = 10;
        WritePass pass = new WritePass(loop, 4);
        CountDownLatch second = new CountDownLatch(sessions);
        List<Peer> peers = new ArrayList<>();
        List<TextOutlet> outlets = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            Peer peer = new Peer();
            peers.add(peer);
            outlets.add(new CountingOutlet(peer, 10, pass, "b2", second));
        }

        onLoop(() -> {
            for (TextOutlet outlet : outlets) {
                assertThat(outlet.offer(frame("b1"))).isEqualTo(Offer.QUEUED);
            }
            // the next broadcast, read from its socket while the pass is under way: queued behind the pass's
            // first slice, as the loop reads its sockets after that slice
            loop.execute(() -> outlets.forEach(outlet -> outlet.offer(frame("b2"))));
            return null;
        });
        assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();

        List<List<String>> received = onLoop(() -> peers.stream().map(Peer::received).toList());
        List<Integer> flushes = onLoop(() -> peers.stream().map(p -> p.flushes.get()).toList());
        for (int i = 0; i < sessions; i++) {
            assertThat(received.get(i)).as("session %s: both broadcasts, in order, once", i).containsExactly("b1", "b2");
        }
        assertThat(flushes.subList(0, 4)).as("the first slice was flushed before the second broadcast arrived")
                .containsOnly(2);
        assertThat(flushes.subList(4, sessions)).as("the sessions not yet flushed got both frames with one flush")
                .containsOnly(1);
        // drained as one task each, every session would have been flushed twice: 20 writes instead of 14
        assertThat(flushes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(4 * 2 + 6);
    }

    @Test
    void aDrainThatFailsDoesNotStallTheOthers() throws Exception {
        WritePass pass = new WritePass(loop, 4);
        CountDownLatch written = new CountDownLatch(9);
        List<Peer> peers = new ArrayList<>();
        List<TextOutlet> outlets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Peer peer = new Peer();
            peers.add(peer);
            outlets.add(i == 2 ? new TextOutlet(peer, 10, pass) {
                @Override
                protected boolean write(Frame frame) {
                    throw new IllegalStateException("a write that fails");
                }
            } : new CountingOutlet(peer, 10, pass, "m", written));
        }
        onLoop(() -> {
            outlets.forEach(outlet -> outlet.offer(frame("m1")));
            return null;
        });

        assertThat(written.await(10, TimeUnit.SECONDS)).as("every other session got its frame").isTrue();
        onLoop(() -> {
            outlets.get(0).offer(frame("m2"));
            outlets.get(9).offer(frame("m2"));
            return null;
        });
        // the pass the offers armed ran before this task, which was queued after it
        List<List<String>> received = onLoop(() -> peers.stream().map(Peer::received).toList());
        assertThat(received.get(0)).as("the pass still runs").containsExactly("m1", "m2");
        assertThat(received.get(9)).containsExactly("m1", "m2");
    }

    @Test
    void offersFromManyThreadsToManySessionsAllArriveInEachProducersOrder() throws Exception {
        int sessions = 300;
        int producers = 4;
        int each = 50;
        WritePass pass = new WritePass(loop, WritePass.SLICE);
        CountDownLatch all = new CountDownLatch(sessions * producers * each);
        List<Peer> peers = new ArrayList<>();
        List<TextOutlet> outlets = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            Peer peer = new Peer();
            peers.add(peer);
            outlets.add(new CountingOutlet(peer, producers * each, pass, "", all));
        }
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < each; i++) {
                    for (TextOutlet outlet : outlets) {
                        if (outlet.offer(frame(producer + ":" + i)) != Offer.QUEUED) {
                            throw new AssertionError("refused");
                        }
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(all.await(10, TimeUnit.SECONDS)).as("every frame written").isTrue();
        List<List<String>> received = onLoop(() -> peers.stream().map(Peer::received).toList());
        for (List<String> messages : received) {
            assertThat(messages).hasSize(producers * each);
            int[] next = new int[producers];
            for (String message : messages) {
                int producer = Integer.parseInt(message.substring(0, message.indexOf(':')));
                assertThat(message).isEqualTo(producer + ":" + next[producer]++);
            }
        }
    }
}
