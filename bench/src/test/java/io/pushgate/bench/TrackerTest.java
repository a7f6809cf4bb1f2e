package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Exactly-once accounting: expected from what the API accepted, received, duplicated, missing, unexpected. */
class TrackerTest {

    private final Metrics metrics = new Metrics();
    private final Tracker tracker = new Tracker(9, metrics, 3, 1);
    private final Payload.Decoded scratch = new Payload.Decoded();

    private Session session(int index, int group) {
        Session s = new Session(index, "u" + index, group, List.of(), false);
        tracker.welcomed(s);
        s.welcomed = true;
        return s;
    }

    private void deliver(Session s, long generator, long seq) {
        byte[] frame = ("{\"type\":\"message\",\"id\":\"m\",\"event\":\"bench\",\"data\":"
                + Payload.encode(generator, seq, Clock.nowMicros(), 100) + ",\"to\":{\"all\":true},\"ts\":1}")
                .getBytes(StandardCharsets.UTF_8);
        tracker.delivered(s, frame, 0, frame.length, scratch);
    }

    @Test
    void countsMissingDuplicatedAndUnexpectedPerSession() {
        Session a = session(0, 0);
        Session b = session(1, 0);
        Session c = session(2, -1);
        tracker.publishedToUid(0);      // seq 1 -> a
        tracker.publishedToGroup(0);    // seq 2 -> a, b
        tracker.publishedToAll();       // seq 3 -> a, b, c
        deliver(a, 9, 1);
        deliver(a, 9, 2);
        deliver(a, 9, 3);
        deliver(a, 9, 3);               // duplicate
        deliver(b, 9, 2);               // b misses seq 3
        deliver(c, 9, 3);
        deliver(c, 9, 4);               // c gets something it was not sent
        deliver(c, 8, 1);               // another generator's message: not ours to check

        Tracker.Summary s = tracker.summarize(List.of(a, b, c));
        assertEquals(6, s.expected());
        assertEquals(6, s.unique());
        assertEquals(1, s.missing());
        assertEquals(1, s.unexpected());
        assertEquals(7, metrics.received.sum());
        assertEquals(1, metrics.duplicated.sum());
        assertEquals(1, metrics.foreign.sum());
        assertEquals(7, metrics.latencyTotal.getTotalCount() + metrics.latency.getIntervalHistogram().getTotalCount());
    }

    @Test
    void aSessionExpectsOnlyWhatWasPublishedAfterItsWelcome() {
        tracker.publishedToAll();
        Session late = session(0, -1);
        tracker.publishedToAll();
        assertEquals(1, tracker.expected(late));
        Session neverWelcomed = new Session(1, "u1", -1, List.of(), false);
        assertEquals(0, tracker.expected(neverWelcomed));
    }
}
