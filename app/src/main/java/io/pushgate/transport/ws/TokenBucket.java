package io.pushgate.transport.ws;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code burst} saved up.
 *
 * <p>Not thread-safe: one instance belongs to one connection, whose inbound frames arrive in sequence.
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
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * ratePerNano);
            lastNanos = nowNanos;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
