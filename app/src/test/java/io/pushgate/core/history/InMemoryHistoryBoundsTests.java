package io.pushgate.core.history;

import io.pushgate.core.Replay;
import io.pushgate.core.Entry;
import io.pushgate.core.Cursor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.pushgate.core.Address;
import io.pushgate.core.Frame;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What one long {@code ttl} and many offline uids may keep in memory: never more than the caps allow. */
class InMemoryHistoryBoundsTests {

    static final long SEVEN_DAYS = Duration.ofDays(7).toMillis();

    final InMemoryHistoryTests.MutableClock clock = new InMemoryHistoryTests.MutableClock();

    Entry entry(long seq, long keepMillis) {
        return new Entry(seq, clock.millis(), clock.millis() + keepMillis, new Frame(new byte[0], "m" + seq, "e"));
    }

    @Test
    void oneMessageHeldForSevenDaysKeepsNoRecordOfTheMessagesAfterIt() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 10, 1000, 1000, clock);
        history.append(Address.uid("keeper"), entry(1, SEVEN_DAYS));
        int appends = 100_000;
        for (long seq = 2; seq <= appends + 1; seq++) {
            history.append(Address.uid("u" + seq % 7), entry(seq, 120_000)); // 7 streams of 10 each: far below the cap
            clock.millis += 1;
        }
        history.sweep();

        assertThat(history.size()).isEqualTo(71);
        assertThat(history.indexSize()).isLessThanOrEqualTo(2 * 71 + 64);
        Replay keeper = history.readAfter(List.of(Address.uid("keeper")), new Cursor(history.epoch(), 0, clock.millis()), 10);
        assertThat(keeper.reset()).isFalse(); // the one long-held message is still there
    }

    @Test
    void expiredMessagesBehindOneHeldForDaysAreSweptFromItsStream() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 1000, 1000, 1000, clock);
        history.append(Address.ALL, entry(1, SEVEN_DAYS));
        for (long seq = 2; seq <= 500; seq++) {
            history.append(Address.ALL, entry(seq, 120_000));
        }
        clock.millis += 120_001;
        history.sweep();

        assertThat(history.size()).isEqualTo(1);
        assertThat(history.indexSize()).isLessThanOrEqualTo(2 + 64);
    }

    @Test
    void aStreamTheNodeWideCapEmptiedStillResetsACursorFromBeforeItsLossAfterASweep() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 100, 1, 1, clock);
        Cursor before = new Cursor(history.epoch(), 0, clock.millis());
        history.append(Address.uid("a"), entry(1, 120_000));
        history.append(Address.uid("b"), entry(2, 120_000)); // the cap of one evicts a's only message
        history.sweep();

        assertThat(history.readAfter(List.of(Address.uid("a")), before, 10).reset()).isTrue();
        clock.millis += 120_001; // once no cursor from before the loss can resume, the stream is forgotten
        history.sweep();
        assertThat(history.streamCount()).isZero();
    }

    @Test
    void holdsAcrossManyUidsPastTheNodeWideCapLoseTheOldestFirst() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 100, 1000, 50, clock);
        for (long seq = 1; seq <= 200; seq++) {
            history.holdForOffline("u" + seq, entry(seq, SEVEN_DAYS));
        }

        assertThat(history.heldCount()).isEqualTo(50);
        assertThat(history.takeOffline("u150")).isEmpty();
        assertThat(history.takeOffline("u151")).extracting(Entry::seq).containsExactly(151L);
        assertThat(history.takeOffline("u200")).extracting(Entry::seq).containsExactly(200L);
        assertThat(history.heldCount()).isEqualTo(48);
    }

    /**
     * A sweep empties each uid's holds (they expired) while new holds for the same uids arrive: every new
     * one must still be there to take. Two threads released together on many uids; the hold must never go
     * to a container the sweep has just forgotten.
     */
    @Test
    void aHoldMadeWhileASweepForgetsTheUidIsNeverLost() throws Exception {
        int uids = 2000;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 30; round++) {
                InMemoryHistory history = new InMemoryHistory(Duration.ofSeconds(10), 100, 1000, 10 * uids, clock);
                for (int u = 0; u < uids; u++) {
                    history.holdForOffline("u" + u, entry(u + 1, 1_000)); // expires before the sweep below
                }
                clock.millis += 5_000;
                long base = uids + 1;
                CountDownLatch go = new CountDownLatch(1);
                Future<?> sweeping = threads.submit(() -> {
                    go.await();
                    history.sweep();
                    return null;
                });
                Future<?> holding = threads.submit(() -> {
                    go.await();
                    for (int u = 0; u < uids; u++) {
                        history.holdForOffline("u" + u, entry(base + u, 60_000));
                    }
                    return null;
                });
                go.countDown();
                sweeping.get(30, TimeUnit.SECONDS);
                holding.get(30, TimeUnit.SECONDS);

                List<String> lost = new ArrayList<>();
                for (int u = 0; u < uids; u++) {
                    if (!history.takeOffline("u" + u).stream().map(Entry::seq).toList().equals(List.of(base + u))) {
                        lost.add("u" + u);
                    }
                }
                assertThat(lost).as("round %d", round).isEmpty();
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
