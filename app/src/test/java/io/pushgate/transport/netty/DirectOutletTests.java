package io.pushgate.transport.netty;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet;
import io.pushgate.core.Outlet.Offer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link DirectOutlet} promises, on an {@link EmbeddedChannel} whose event loop runs a task only
 * when the test says so: frames leave in order, first frames ahead, one flush per drain; the bound counts
 * frames waiting and frames Netty still holds for a peer that does not read; first frames have their
 * allowance; after {@code complete()}, offers are refused and the end follows everything offered before.
 */
class DirectOutletTests {

    /** A channel whose peer may stop reading: flushed frames then stay in Netty's outbound buffer. */
    static final class Peer extends EmbeddedChannel {
        volatile boolean reading = true;
        final AtomicInteger flushes = new AtomicInteger();

        Peer() {
            super();
            pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                @Override
                public void flush(ChannelHandlerContext ctx) {
                    flushes.incrementAndGet();
                    ctx.flush();
                }
            });
        }

        @Override
        protected void doWrite(ChannelOutboundBuffer in) throws Exception {
            if (reading) {
                super.doWrite(in);
            }
        }

        /** Everything the peer has received so far, in order. */
        List<String> received() {
            List<String> out = new ArrayList<>();
            Object message;
            while ((message = readOutbound()) != null) {
                out.add((String) message);
            }
            return out;
        }

        void resumeReading() {
            reading = true;
            flush();
        }
    }

    /** Writes each frame's text as one message, and "END" as the end. */
    static class TextOutlet extends DirectOutlet {
        int drainedCalls;
        boolean isReady = true;

        TextOutlet(Peer channel, int capacity) {
            super(channel, capacity);
        }

        TextOutlet(Peer channel, int capacity, WritePass pass) {
            super(channel, capacity, pass);
        }

        @Override
        protected boolean write(Frame frame) {
            channel.write(new String(frame.json(), StandardCharsets.UTF_8));
            return true;
        }

        @Override
        protected boolean writeEnd() {
            channel.write("END");
            return true;
        }

        @Override
        protected void onDrained() {
            drainedCalls++;
        }

        @Override
        protected boolean ready() {
            return isReady;
        }
    }

    private static Frame frame(String text) {
        return Frame.control(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void offer(DirectOutlet outlet, int from, int to) {
        for (int i = from; i <= to; i++) {
            assertThat(outlet.offer(frame("m" + i))).as("m%s", i).isEqualTo(Offer.QUEUED);
        }
    }

    @Test
    void offeredFramesLeaveInOrderInOneDrainWithOneFlush() {
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, 10);
        offer(outlet, 1, 3);
        assertThat(peer.received()).as("nothing is written on the offering thread").isEmpty();

        peer.runPendingTasks();

        assertThat(peer.received()).containsExactly("m1", "m2", "m3");
        assertThat(peer.flushes.get()).as("one flush for the whole drain").isEqualTo(1);
        peer.runPendingTasks();
        assertThat(peer.flushes.get()).as("no drain is left scheduled, none runs idle").isEqualTo(1);

        offer(outlet, 4, 4);
        peer.runPendingTasks();
        assertThat(peer.received()).containsExactly("m4");
    }

    @Test
    void firstFramesGoAheadOfFramesNotYetWritten() {
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, 10);
        offer(outlet, 1, 2);
        assertThat(outlet.offerFirst(frame("welcome"))).isEqualTo(Offer.QUEUED);
        assertThat(outlet.offerFirst(frame("replayed"))).isEqualTo(Offer.QUEUED);

        peer.runPendingTasks();

        assertThat(peer.received()).containsExactly("welcome", "replayed", "m1", "m2");
    }

    @Test
    void liveFramesPastTheCapacityAreRefusedAsFullUntilWritten() {
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, 3);
        offer(outlet, 1, 3);
        assertThat(outlet.offer(frame("m4"))).isEqualTo(Offer.FULL);

        peer.runPendingTasks();
        assertThat(peer.received()).as("a refused frame is not written").containsExactly("m1", "m2", "m3");
        offer(outlet, 5, 7);
        assertThat(outlet.offer(frame("m8"))).isEqualTo(Offer.FULL);
    }

    @Test
    void framesNettyStillHoldsForAPeerThatDoesNotReadCountTowardsTheBound() {
        Peer peer = new Peer();
        peer.reading = false;
        TextOutlet outlet = new TextOutlet(peer, 3);
        offer(outlet, 1, 2);
        peer.runPendingTasks(); // written and flushed, but the peer takes none
        assertThat(peer.received()).isEmpty();

        offer(outlet, 3, 3);
        assertThat(outlet.offer(frame("m4"))).as("two in Netty, one waiting: the capacity of 3 is used").isEqualTo(Offer.FULL);
        assertThat(outlet.room()).isEqualTo(3 * (1 + Outlet.FIRST_ALLOWANCE) - 3);

        peer.resumeReading();
        peer.runPendingTasks();
        assertThat(peer.received()).containsExactly("m1", "m2", "m3");
        offer(outlet, 5, 7);
    }

    @Test
    void firstFramesHaveTheirAllowanceAndLiveFramesOneCapacityOnTopUntilTheFirstAreOut() {
        int capacity = 2;
        int allowance = capacity * Outlet.FIRST_ALLOWANCE;
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, capacity);
        assertThat(outlet.room()).isEqualTo(capacity * (1 + Outlet.FIRST_ALLOWANCE));
        for (int i = 1; i <= allowance; i++) {
            assertThat(outlet.offerFirst(frame("r" + i))).isEqualTo(Offer.QUEUED);
        }
        offer(outlet, 1, capacity);
        assertThat(outlet.offer(frame("over"))).isEqualTo(Offer.FULL);
        assertThat(outlet.offerFirst(frame("over"))).as("never more than (1 + allowance) capacities")
                .isEqualTo(Offer.FULL);
        assertThat(outlet.room()).isZero();

        peer.runPendingTasks();
        assertThat(peer.received()).containsExactly("r1", "r2", "r3", "r4", "m1", "m2");
        assertThat(outlet.room()).isEqualTo(capacity * (1 + Outlet.FIRST_ALLOWANCE));
        offer(outlet, 3, 2 + capacity);
        assertThat(outlet.offer(frame("over"))).as("the first frames are out: live frames are back to one capacity")
                .isEqualTo(Offer.FULL);
    }

    @Test
    void theFirstFramesAllowanceHoldsWithoutAnyLiveFrame() {
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, 2);
        for (int i = 1; i <= 6; i++) {
            assertThat(outlet.offerFirst(frame("r" + i))).isEqualTo(Offer.QUEUED);
        }
        assertThat(outlet.offerFirst(frame("r7"))).isEqualTo(Offer.FULL);
        assertThat(outlet.offer(frame("m1"))).isEqualTo(Offer.FULL);
    }

    @Test
    void afterCompleteOffersAreRefusedAndTheEndFollowsEverythingOfferedBefore() {
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, 10);
        AtomicBoolean drained = new AtomicBoolean();
        outlet.drained().subscribe(null, null, () -> drained.set(true));
        offer(outlet, 1, 2);
        outlet.complete();
        assertThat(outlet.offer(frame("late"))).isEqualTo(Offer.CLOSED);
        assertThat(outlet.offerFirst(frame("late"))).isEqualTo(Offer.CLOSED);
        assertThat(drained).as("not before the frames are written").isFalse();
        assertThat(outlet.drainedCalls).isZero();

        peer.runPendingTasks();

        assertThat(peer.received()).containsExactly("m1", "m2", "END");
        assertThat(drained).isTrue();
        assertThat(outlet.drainedCalls).isEqualTo(1);
        AtomicBoolean late = new AtomicBoolean();
        outlet.drained().subscribe(null, null, () -> late.set(true));
        assertThat(late).as("asked for after the drain ended, it completes at once").isTrue();
    }

    @Test
    void aTransportThatIsNotReadyHoldsTheFramesUntilItSchedulesAgain() {
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, 10);
        outlet.isReady = false;
        offer(outlet, 1, 2);
        peer.runPendingTasks();
        assertThat(peer.received()).isEmpty();

        outlet.isReady = true;
        outlet.schedule(false);
        peer.runPendingTasks();
        assertThat(peer.received()).containsExactly("m1", "m2");
    }

    @Test
    void offersFromManyThreadsAllArriveEachProducersInItsOrder() throws InterruptedException {
        int producers = 4;
        int each = 500;
        Peer peer = new Peer();
        TextOutlet outlet = new TextOutlet(peer, producers * each);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        AtomicInteger refused = new AtomicInteger();
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
                    if (outlet.offer(frame(producer + ":" + i)) != Offer.QUEUED) {
                        refused.incrementAndGet();
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
        peer.runPendingTasks();

        assertThat(refused).hasValue(0);
        List<String> received = peer.received();
        assertThat(received).hasSize(producers * each);
        int[] next = new int[producers];
        for (String message : received) {
            int producer = Integer.parseInt(message.substring(0, message.indexOf(':')));
            assertThat(message).isEqualTo(producer + ":" + next[producer]++);
        }
    }
}
