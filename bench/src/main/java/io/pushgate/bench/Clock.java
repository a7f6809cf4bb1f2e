package io.pushgate.bench;

import java.time.Instant;

/** Epoch microseconds from the monotonic clock, anchored once: comparable across processes on one machine. */
final class Clock {

    private static final long BASE_NANOS = System.nanoTime();
    private static final long BASE_MICROS;

    static {
        Instant now = Instant.now();
        BASE_MICROS = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private Clock() {
    }

    static long nowMicros() {
        return BASE_MICROS + (System.nanoTime() - BASE_NANOS) / 1_000;
    }
}
