package io.pushgate.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class OutboxTests {

    @Test
    void refusesFramesOverCapacityUntilTheTransportDrains() {
        Outbox outbox = new Outbox(3);
        Frame frame = Frame.control(new byte[] {'{', '}'});
        assertThat(outbox.offer(frame)).isEqualTo(Outlet.Offer.QUEUED);
        assertThat(outbox.offer(frame)).isEqualTo(Outlet.Offer.QUEUED);
        assertThat(outbox.offer(frame)).isEqualTo(Outlet.Offer.QUEUED);
        assertThat(outbox.offer(frame)).isEqualTo(Outlet.Offer.FULL);

        StepVerifier.create(outbox.frames(), 2)
                .expectNextCount(2)
                .then(() -> assertThat(outbox.offer(frame)).isEqualTo(Outlet.Offer.QUEUED))
                .then(() -> assertThat(outbox.offer(frame)).isEqualTo(Outlet.Offer.QUEUED))
                .then(() -> assertThat(outbox.offer(frame)).isEqualTo(Outlet.Offer.FULL))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    /**
     * Welcome and replayed frames go first and have an allowance of two more capacities; live frames may
     * fill one capacity beside them, and are back to one capacity in all once they are out. Nothing a
     * session is sent escapes three capacities.
     */
    @Test
    void framesOfferedFirstGoAheadWithinTheirAllowanceAndLiveFramesKeepOneCapacity() {
        Outbox outbox = new Outbox(2);
        Frame live = Frame.control(new byte[] {'1'});
        Frame first = Frame.control(new byte[] {'0'});
        for (int i = 0; i < 3; i++) {
            assertThat(outbox.offerFirst(first)).isEqualTo(Outlet.Offer.QUEUED);
        }
        assertThat(outbox.room()).isEqualTo(3);
        assertThat(outbox.offer(live)).isEqualTo(Outlet.Offer.QUEUED);
        assertThat(outbox.offer(live)).isEqualTo(Outlet.Offer.QUEUED);
        assertThat(outbox.offer(live)).as("one capacity of live frames beside the first ones").isEqualTo(Outlet.Offer.FULL);
        assertThat(outbox.offerFirst(first)).isEqualTo(Outlet.Offer.QUEUED);
        assertThat(outbox.room()).isZero();
        assertThat(outbox.offerFirst(first)).as("three capacities in all").isEqualTo(Outlet.Offer.FULL);

        StepVerifier.create(outbox.frames(), 6)
                .expectNext(first, first, first, first, live, live)
                .then(() -> assertThat(outbox.room()).isEqualTo(6))
                .then(() -> assertThat(outbox.offer(live)).isEqualTo(Outlet.Offer.QUEUED))
                .then(() -> assertThat(outbox.offer(live)).isEqualTo(Outlet.Offer.QUEUED))
                .then(() -> assertThat(outbox.offer(live)).as("back to one capacity").isEqualTo(Outlet.Offer.FULL))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void keepsEveryFrameOfManyConcurrentPublishersInEachPublishersOrder() throws Exception {
        int publishers = 4;
        int perPublisher = 5_000;
        Outbox outbox = new Outbox(publishers * perPublisher);
        List<Frame> received = new ArrayList<>();
        var subscription = outbox.frames().subscribe(received::add);
        ExecutorService pool = Executors.newFixedThreadPool(publishers);
        CountDownLatch start = new CountDownLatch(1);
        for (int p = 0; p < publishers; p++) {
            int publisher = p;
            pool.submit(() -> {
                start.await();
                for (int i = 0; i < perPublisher; i++) {
                    assertThat(outbox.offer(new Frame(new byte[0], publisher + ":" + i, null))).isEqualTo(Outlet.Offer.QUEUED);
                }
                return null;
            });
        }
        start.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        outbox.complete();

        assertThat(received).hasSize(publishers * perPublisher);
        int[] next = new int[publishers];
        for (Frame frame : received) {
            String[] parts = frame.id().split(":");
            int publisher = Integer.parseInt(parts[0]);
            assertThat(Integer.parseInt(parts[1])).isEqualTo(next[publisher]++);
        }
        subscription.dispose();
    }

    @Test
    void reportsClosedAfterCompletion() {
        Outbox outbox = new Outbox(4);
        outbox.complete();
        assertThat(outbox.offer(Frame.control(new byte[0]))).isEqualTo(Outlet.Offer.CLOSED);
    }
}
