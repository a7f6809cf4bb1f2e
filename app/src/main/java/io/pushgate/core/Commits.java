package io.pushgate.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which publications are complete in history: each publication takes the next ticket under the node's
 * sequence lock ({@link PushNode}'s sequencer counts them), encodes and appends to history outside it, and
 * then marks its ticket done. Tickets are done out of order; {@link #await} returns once every ticket up to
 * the one given is done, so a reader that waits for the last ticket issued when it read its position finds
 * in history every publication sequenced before it.
 *
 * <p>Tickets are contiguous, unlike sequence numbers (a cluster's may jump). Lock-free: done slots sit in a
 * ring, and a ticket is only issued once the one a ring's length before it is accounted for.
 *
 * <p>Marking a ticket done writes its own slot only. The watermark ({@link #through}) is moved on by
 * whoever needs it (a reader in {@link #await}, an issuer whose ring is short of room) and, so that it
 * never lags by much, by every publisher whose ticket is a multiple of {@link #ADVANCE_EVERY}: a publish
 * on one core then writes no line that a publish on another core writes too (the one-lock core moved the
 * watermark on every publish, a shared write per publish).
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
    /** A publisher whose ticket is a multiple of this moves the watermark on. */
    private static final long ADVANCE_EVERY = 64;

    private final AtomicLongArray done = new AtomicLongArray(SIZE * STRIDE);

    private static final VarHandle THROUGH;

    static {
        try {
            THROUGH = MethodHandles.lookup().findVarHandle(CommitsThrough.class, "through", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Caller holds the sequence lock and has just counted {@code ticket} as issued. Waits (rarely) while the
     * ring is a whole lap behind.
     */
    void admit(long ticket) {
        int spins = 0;
        while (ticket - through >= SIZE && ticket - advance() >= SIZE) {
            backoff(spins++);
        }
    }

    /** The ticket's publication is in history (or failed and never will be). */
    void done(long ticket) {
        done.setRelease((int) (ticket & MASK) * STRIDE, ticket);
        if (ticket % ADVANCE_EVERY == 0) {
            advance();
        }
    }

    /** Returns once every ticket up to {@code ticket} is done. Never waits for a delivery. */
    void await(long ticket) {
        int spins = 0;
        while (through < ticket && advance() < ticket) {
            backoff(spins++);
        }
    }

    /** Every ticket up to it is done (more may be). */
    long through() {
        return through;
    }

    /** Moves the watermark past every done ticket after it, with one write. @return the watermark */
    private long advance() {
        long w = through;
        while (true) {
            long n = w;
            while (done.getAcquire((int) ((n + 1) & MASK) * STRIDE) == n + 1) {
                n++;
            }
            if (n == w || THROUGH.compareAndSet(this, w, n)) {
                return n;
            }
            w = through;
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

/** {@link Commits#through} on a cache line of its own (see {@link Padding}). */
abstract class CommitsThrough extends Padding {
    /** All tickets up to it are done; written through a VarHandle. */
    volatile long through;
    @SuppressWarnings("unused")
    private long r1, r2, r3, r4, r5, r6, r7, r8;
}
