package io.pushgate.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Exactly-once bookkeeping. Every published message is counted on the stream it went to (a uid, a
 * group, or all); a session expects every message counted on its streams after its welcome. On
 * delivery, the session's {@link SeqSet} tells a first delivery from a duplicate; at the end, per
 * session, {@code missing = expected - unique} and {@code unexpected = unique - expected}.
 */
final class Tracker {

    /** Totals of {@link #summarize}. */
    record Summary(long expected, long unique, long missing, long unexpected, int sessions, int reset) {
    }

    private final long generator;
    private final Metrics metrics;
    private final AtomicLongArray uidCount;
    private final AtomicLongArray groupCount;
    private final AtomicLong allCount = new AtomicLong();
    /** The server's history window: a reset of a younger cursor is counted in {@link Metrics#resetsInWindow}. */
    private volatile long windowMillis = 120_000;

    Tracker(long generator, Metrics metrics, int uids, int groups) {
        this.generator = generator;
        this.metrics = metrics;
        this.uidCount = new AtomicLongArray(Math.max(1, uids));
        this.groupCount = new AtomicLongArray(Math.max(1, groups));
    }

    long generator() {
        return generator;
    }

    void window(long millis) {
        windowMillis = millis;
    }

    /** A publish to the uid of session {@code index} was accepted. */
    void publishedToUid(int index) {
        uidCount.incrementAndGet(index);
    }

    void publishedToGroup(int group) {
        groupCount.incrementAndGet(group);
    }

    void publishedToAll() {
        allCount.incrementAndGet();
    }

    /** The session is live: from now on it expects what is published to its streams. */
    void welcomed(Session s) {
        if (!s.churn) {
            s.snapUid = uidCount.get(s.index);
            s.snapGroup = s.group >= 0 ? groupCount.get(s.group) : 0;
            s.snapAll = allCount.get();
        }
    }

    long expected(Session s) {
        if (s.churn || !s.welcomed) {
            return 0;
        }
        long e = uidCount.get(s.index) - s.snapUid + allCount.get() - s.snapAll;
        if (s.group >= 0) {
            e += groupCount.get(s.group) - s.snapGroup;
        }
        return e;
    }

    /**
     * A message frame arrived on {@code s}; {@code buf[from, to)} holds its JSON. Runs on the session's
     * event loop. {@code scratch} is that loop's own decode holder.
     */
    boolean delivered(Session s, byte[] buf, int from, int to, Payload.Decoded scratch) {
        long now = Clock.nowMicros();
        return Payload.decode(buf, from, to, scratch) && counted(s, now, scratch);
    }

    /** {@link #delivered} for a Pusher message frame, whose payload is its {@code data} string. */
    boolean deliveredPusher(Session s, byte[] buf, int from, int to, Payload.Decoded scratch) {
        long now = Clock.nowMicros();
        return Payload.decodePusher(buf, from, to, scratch) && counted(s, now, scratch);
    }

    /** Counts the decoded message received at {@code now} on {@code s}; true when it is its first delivery. */
    private boolean counted(Session s, long now, Payload.Decoded scratch) {
        if (scratch.generator != generator) {
            metrics.foreign.increment();
            return false;
        }
        metrics.received.increment();
        if (!s.slow) { // a slow reader's latency is its pause
            metrics.recordLatency(now - scratch.sentMicros);
        }
        if (s.seen.add(scratch.seq)) {
            s.unique = s.unique + 1;
            return true;
        }
        metrics.duplicated.increment();
        return false;
    }

    /**
     * Soak: the message frame in {@code buf[from, to)} moves the session's cursor to its id; per stream the
     * ids must rise (one sequence orders every stream), so a first delivery that does not is out of order.
     *
     * @param first whether {@link #delivered} counted it as a first delivery (a duplicate is counted there)
     */
    void position(Session s, byte[] buf, int from, int to, boolean first) {
        String id = Cursors.string(buf, from, to, Cursors.ID);
        if (id == null) {
            return;
        }
        s.cursor = id;
        long seq = Cursors.seq(id);
        int stream = Cursors.stream(buf, from, to);
        if (seq < 0 || stream < 0) {
            return;
        }
        if (seq > s.lastServerSeq[stream]) {
            s.lastServerSeq[stream] = seq;
        } else if (first) {
            metrics.outOfOrder.increment();
        }
    }

    /**
     * Soak: the session's resume was answered with a reset (naming {@code cursor}). What it missed is gone,
     * so it is no longer held to exactly-once; a reset of a cursor younger than the window is a failure.
     */
    void reset(Session s, String cursor) {
        metrics.resets.increment();
        s.reset = true;
        String from = s.resumedFrom;
        long ts = from == null ? -1 : Cursors.ts(from);
        if (ts < 0 || System.currentTimeMillis() - ts < windowMillis) {
            metrics.resetsInWindow.increment();
        }
        if (cursor != null) {
            s.cursor = cursor;
        }
    }

    Summary summarize(Iterable<Session> sessions) {
        long expected = 0;
        long unique = 0;
        long missing = 0;
        long unexpected = 0;
        int n = 0;
        int reset = 0;
        for (Session s : sessions) {
            if (s.reset) {
                reset++;
                continue;
            }
            long e = expected(s);
            long u = s.unique;
            expected += e;
            unique += u;
            missing += Math.max(0, e - u);
            unexpected += Math.max(0, u - e);
            n++;
        }
        return new Summary(expected, unique, missing, unexpected, n, reset);
    }
}
