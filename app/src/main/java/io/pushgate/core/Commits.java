package io.pushgate.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which publications are complete in history: each publication takes the next ticket under the node's
 * sequence lock, encodes and appends to history outside it, and then marks its ticket done. Tickets are
 * done out of order; {@link #through()} is the highest ticket up to which all are done, so a reader that
 * waits for it ({@link #await}) finds in history every publication sequenced before it read its position.
 *
 * <p>Tickets are contiguous, unlike sequence numbers (a cluster's may jump). Lock-free: done slots sit in a
 * ring, and a ticket is only issued once the one a ring's length before it is accounted for.
 */
final class Commits extends CommitsThrough {

    /**
     * Tickets in flight at most; a ticket is issued only once the one this many before it is done. Publishers
     * have one ticket in flight each, so this is only reached while one of them stalls.
     */
    private static final int SIZE = 1 << 12;
    private static final int MASK = SIZE - 1;
    /** Longs between two slots: one cache line each, so publishers side by side do not share one. */
    private static final int STRIDE = 8;

    private final AtomicLongArray done = new AtomicLongArray(SIZE * STRIDE);
    /** Guarded by the node's sequence lock. */
    private long issued;
    @SuppressWarnings("unused") // padding: keeps the fields above off the line of whatever follows
    private long q1, q2, q3, q4, q5, q6, q7;

    private static final VarHandle THROUGH;

    static {
        try {
            THROUGH = MethodHandles.lookup().findVarHandle(CommitsThrough.class, "through", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The next ticket; caller holds the sequence lock. Waits (rarely) while the ring is a whole lap behind. */
    long issue() {
        long t = ++issued;
        int spins = 0;
        while (t - advance() >= SIZE) {
            backoff(spins++);
        }
        return t;
    }

    /** The last ticket issued; caller holds the sequence lock. */
    long issued() {
        return issued;
    }

    /** The ticket's publication is in history (or failed and never will be). */
    void done(long ticket) {
        done.setRelease((int) (ticket & MASK) * STRIDE, ticket);
        if (through == ticket - 1) {
            advance();
        }
    }

    /** Returns once every ticket up to {@code ticket} is done. Never waits for a delivery. */
    void await(long ticket) {
        int spins = 0;
        while (advance() < ticket) {
            backoff(spins++);
        }
    }

    long through() {
        return through;
    }

    private long advance() {
        long w = through;
        while (true) {
            long next = w + 1;
            if (done.getAcquire((int) (next & MASK) * STRIDE) != next) {
                return w;
            }
            if (THROUGH.compareAndSet(this, w, next)) {
                w = next;
            } else {
                w = through;
            }
        }
    }

    static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else if (spins < 256) {
            Thread.yield();
        } else {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
        }
    }
}

/** {@link Commits#through} on a cache line of its own (superclass fields come first): every publisher writes it. */
abstract class CommitsPad {
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7;
}

abstract class CommitsThrough extends CommitsPad {
    /** All tickets up to it are done; written through a VarHandle. */
    volatile long through;
    @SuppressWarnings("unused")
    private long r1, r2, r3, r4, r5, r6, r7;
}
