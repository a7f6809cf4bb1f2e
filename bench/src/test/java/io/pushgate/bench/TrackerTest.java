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

    private boolean deliver(Session s, long seq, String id, String to) {
        byte[] frame = ("{\"type\":\"message\",\"id\":\"" + id + "\",\"event\":\"bench\",\"data\":"
                + Payload.encode(9, seq, Clock.nowMicros(), 100) + ",\"to\":" + to + ",\"ts\":1}")
                .getBytes(StandardCharsets.UTF_8);
        boolean first = tracker.delivered(s, frame, 0, frame.length, scratch);
        tracker.position(s, frame, 0, frame.length, first);
        return first;
    }

    @Test
    void messageIdsMoveTheCursorAndMustRisePerStream() {
        Session s = session(0, 0);
        deliver(s, 1, "e-a-1", "{\"uid\":\"u0\"}");
        deliver(s, 2, "e-c-1", "{\"all\":true}");
        deliver(s, 3, "e-b-1", "{\"group\":\"g0\"}");   // another stream: lower is fine
        assertEquals("e-b-1", s.cursor);
        assertEquals(0, metrics.outOfOrder.sum());
        deliver(s, 4, "e-9-1", "{\"uid\":\"u0\"}");     // before e-a on the uid stream
        assertEquals(1, metrics.outOfOrder.sum());
        deliver(s, 1, "e-a-1", "{\"uid\":\"u0\"}");     // a duplicate: counted as one, not as out of order
        assertEquals(1, metrics.duplicated.sum());
        assertEquals(1, metrics.outOfOrder.sum());
    }

    @Test
    void aResetIsAFailureOnlyForACursorYoungerThanTheWindow() {
        tracker.window(120_000);
        Session young = session(0, -1);
        young.resumedFrom = "e-1-" + Long.toString(System.currentTimeMillis() - 5_000, 36);
        tracker.publishedToUid(0);
        tracker.reset(young, "e-5-1");
        assertEquals("e-5-1", young.cursor);
        Session old = session(1, -1);
        old.resumedFrom = "e-1-" + Long.toString(System.currentTimeMillis() - 200_000, 36);
        tracker.reset(old, "e-6-1");
        assertEquals(2, metrics.resets.sum());
        assertEquals(1, metrics.resetsInWindow.sum());
        // a reset session is owed nothing more: it is counted apart, not as missing
        Tracker.Summary summary = tracker.summarize(List.of(young, old));
        assertEquals(0, summary.missing());
        assertEquals(2, summary.reset());
    }
}
