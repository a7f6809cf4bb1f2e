package io.pushgate.core;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code burst} saved up. In the core,
 * pure JDK, so that every adapter that limits a rate (client frames, API requests per key) uses the
 * same arithmetic.
 *
 * <p>Not thread-safe: an owner that is called from several threads (the API's per-key buckets) holds a
 * lock around each call; one that is not (a WebSocket connection's inbound frames) pays nothing.
 */
public final class TokenBucket {

    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long lastNanos;

    public TokenBucket(double ratePerSecond, double burst, long nowNanos) {
        if (ratePerSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate must be > 0 and burst >= 1");
        }
        this.ratePerNano = ratePerSecond / 1_000_000_000.0;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = nowNanos;
    }

    /** Takes one token if there is one. */
    public boolean tryTake(long nowNanos) {
        refill(nowNanos);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** How long from {@code nowNanos} until a token is there to take; 0 when one is there now. */
    public long nanosUntilToken(long nowNanos) {
        refill(nowNanos);
        return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / ratePerNano);
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * ratePerNano);
            lastNanos = nowNanos;
        }
    }
}
