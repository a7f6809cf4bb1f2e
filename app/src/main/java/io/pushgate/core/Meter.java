package io.pushgate.core;

import java.util.concurrent.atomic.LongAdder;

/**
 * A monotonic counter with a per-second rate, sampled by {@link #tick(long)} about once a second.
 * Counting is a {@link LongAdder} add, cheap enough for the fan-out path.
 */
final class Meter {

    private final LongAdder total = new LongAdder();
    private long lastTotal;
    private long lastTickNanos = System.nanoTime();
    private volatile double perSecond;

    void mark(long n) {
        total.add(n);
    }

    long total() {
        return total.sum();
    }

    double perSecond() {
        return perSecond;
    }

    synchronized void tick(long nowNanos) {
        long sum = total.sum();
        long elapsed = nowNanos - lastTickNanos;
        if (elapsed > 0) {
            perSecond = (sum - lastTotal) * 1_000_000_000.0 / elapsed;
        }
        lastTotal = sum;
        lastTickNanos = nowNanos;
    }
}
