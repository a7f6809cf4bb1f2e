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
    record Summary(long expected, long unique, long missing, long unexpected, int sessions) {
    }

    private final long generator;
    private final Metrics metrics;
    private final AtomicLongArray uidCount;
    private final AtomicLongArray groupCount;
    private final AtomicLong allCount = new AtomicLong();

    Tracker(long generator, Metrics metrics, int uids, int groups) {
        this.generator = generator;
        this.metrics = metrics;
        this.uidCount = new AtomicLongArray(Math.max(1, uids));
        this.groupCount = new AtomicLongArray(Math.max(1, groups));
    }

    long generator() {
        return generator;
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
    void delivered(Session s, byte[] buf, int from, int to, Payload.Decoded scratch) {
        long now = Clock.nowMicros();
        if (!Payload.decode(buf, from, to, scratch)) {
            return;
        }
        if (scratch.generator != generator) {
            metrics.foreign.increment();
            return;
        }
        metrics.received.increment();
        metrics.recordLatency(now - scratch.sentMicros);
        if (s.seen.add(scratch.seq)) {
            s.unique = s.unique + 1;
        } else {
            metrics.duplicated.increment();
        }
    }

    Summary summarize(Iterable<Session> sessions) {
        long expected = 0;
        long unique = 0;
        long missing = 0;
        long unexpected = 0;
        int n = 0;
        for (Session s : sessions) {
            long e = expected(s);
            long u = s.unique;
            expected += e;
            unique += u;
            missing += Math.max(0, e - u);
            unexpected += Math.max(0, u - e);
            n++;
        }
        return new Summary(expected, unique, missing, unexpected, n);
    }
}
