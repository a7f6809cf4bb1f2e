package io.pushgate.core.history;

import io.pushgate.core.Replay;
import io.pushgate.core.Entry;
import io.pushgate.core.Cursor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import io.pushgate.core.Address;
import io.pushgate.core.Frame;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InMemoryHistoryTests {

    final MutableClock clock = new MutableClock();

    static final class MutableClock extends Clock {
        long millis = 1_000_000;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    Entry entry(long seq, long keepMillis) {
        return new Entry(seq, clock.millis(), clock.millis() + keepMillis, new Frame(new byte[0], "m" + seq, "e"));
    }

    Cursor at(InMemoryHistory history, long seq) {
        return new Cursor(history.epoch(), seq, clock.millis());
    }

    static List<Long> seqs(Replay replay) {
        return replay.entries().stream().map(Entry::seq).toList();
    }

    @Test
    void mergesStreamsInSequenceOrderWithEachPublishOnce() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 100, clock);
        history.append(Address.uid("a"), entry(1, 120_000));
        history.append(Address.group("g"), entry(2, 120_000));
        history.append(Address.uid("a"), entry(3, 120_000));
        history.append(Address.group("g"), entry(3, 120_000)); // one publish to the uid and the group
        history.append(Address.uid("b"), entry(4, 120_000));

        Replay replay = history.readAfter(List.of(Address.group("g"), Address.uid("a")), at(history, 1), 10);

        assertThat(replay.reset()).isFalse();
        assertThat(seqs(replay)).containsExactly(2L, 3L);
    }

    @Test
    void answersInBatchesAndSaysWhenThereIsMore() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 100, clock);
        for (long seq = 1; seq <= 25; seq++) {
            history.append(Address.uid("a"), entry(seq, 120_000));
        }
        Replay first = history.readAfter(List.of(Address.uid("a")), at(history, 0), 10);
        assertThat(seqs(first)).hasSize(10).startsWith(1L).endsWith(10L);
        assertThat(first.more()).isTrue();
        Replay last = history.readAfter(List.of(Address.uid("a")), at(history, 20), 10);
        assertThat(seqs(last)).containsExactly(21L, 22L, 23L, 24L, 25L);
        assertThat(last.more()).isFalse();
    }

    @Test
    void resetsWhenTheCursorIsOlderThanTheWindowOrFromAnotherEpoch() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofSeconds(10), 100, clock);
        history.append(Address.uid("a"), entry(1, 10_000));
        Cursor cursor = at(history, 0);
        clock.millis += 11_000;
        assertThat(history.readAfter(List.of(Address.uid("a")), cursor, 10).reset()).isTrue();
        assertThat(history.readAfter(List.of(Address.uid("a")), new Cursor("other", 0, clock.millis()), 10).reset()).isTrue();
    }

    @Test
    void resetsWhenAStreamDroppedMessagesAfterTheCursor() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 3, clock);
        for (long seq = 1; seq <= 5; seq++) {
            history.append(Address.uid("a"), entry(seq, 120_000));
        }
        assertThat(history.readAfter(List.of(Address.uid("a")), at(history, 1), 10).reset()).isTrue();
        assertThat(seqs(history.readAfter(List.of(Address.uid("a")), at(history, 2), 10))).containsExactly(3L, 4L, 5L);
    }

    @Test
    void theNodeWideCapEvictsTheOldestMessageOfAnyStream() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofMinutes(2), 100, 3, clock);
        history.append(Address.uid("a"), entry(1, 120_000));
        history.append(Address.uid("b"), entry(2, 120_000));
        history.append(Address.uid("a"), entry(3, 120_000));
        history.append(Address.uid("c"), entry(4, 120_000));

        assertThat(history.size()).isEqualTo(3);
        assertThat(history.readAfter(List.of(Address.uid("a")), at(history, 0), 10).reset()).isTrue();
        assertThat(seqs(history.readAfter(List.of(Address.uid("a")), at(history, 1), 10))).containsExactly(3L);
        assertThat(seqs(history.readAfter(List.of(Address.uid("b")), at(history, 0), 10))).containsExactly(2L);
    }

    @Test
    void ttlKeepsAMessagePastTheWindowAndSweepFreesExpiredStreams() {
        InMemoryHistory history = new InMemoryHistory(Duration.ofSeconds(10), 100, clock);
        history.append(Address.uid("a"), entry(1, 10_000));
        history.holdForOffline("b", entry(2, 60_000));
        clock.millis += 30_000;
        history.sweep();
        assertThat(history.streamCount()).isZero();
        assertThat(history.size()).isZero();
        assertThat(history.takeOffline("b")).extracting(Entry::seq).containsExactly(2L);
        assertThat(history.takeOffline("b")).isEmpty();
    }

    @Test
    void cursorsRoundTripAndRejectGarbage() {
        Cursor cursor = new Cursor("abc12", 12345, 1_795_306_331_240L);
        assertThat(Cursor.parse(cursor.text())).isEqualTo(cursor);
        for (String bad : List.of("", "x", "abc-1", "abc-zz-!!", "a b-1-1", "abc-1-1-1", "-1-1")) {
            assertThatThrownBy(() -> Cursor.parse(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
