package io.pushgate.api;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import io.pushgate.api.problem.Problem;
import io.pushgate.core.TokenBucket;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;

/**
 * Requests per second per API key ({@code pushgate.api.rate}, {@code pushgate.api.rate-burst}): one
 * token bucket per configured key, made at start-up, so memory is bounded by the configuration whatever
 * clients send; a request with no valid key has no bucket and is never counted (it is refused anyway).
 * Every request counts once, a batch publish included, whichever path answers it.
 */
final class ApiRateLimits {

    /** The answer to a request over its key's rate, sent with {@code Retry-After}. Nothing was done. */
    static final Problem RATE_LIMITED = new Problem("rate-limited", HttpStatus.TOO_MANY_REQUESTS,
            "this API key is over its rate (pushgate.api.rate); nothing was done, retry after Retry-After seconds");

    private final Map<String, TokenBucket> buckets;
    private final LongSupplier nanos;

    /**
     * @param rate  requests per second per key; 0 or less for no limit
     * @param burst the bucket's size; 0 or less for one second's worth of requests (at least 1)
     */
    ApiRateLimits(List<String> keyIds, double rate, int burst, LongSupplier nanos) {
        this.nanos = nanos;
        Map<String, TokenBucket> map = new HashMap<>();
        if (rate > 0) {
            double size = burst > 0 ? burst : Math.max(1, Math.ceil(rate));
            long now = nanos.getAsLong();
            keyIds.forEach(id -> map.put(id, new TokenBucket(rate, size, now)));
        }
        this.buckets = Map.copyOf(map);
    }

    boolean enabled() {
        return !buckets.isEmpty();
    }

    /**
     * Takes a request's token from its key's bucket.
     *
     * @return 0 when the request may go ahead, else the whole seconds (at least 1) after which a token
     *         will be there: the {@code Retry-After} to answer with
     */
    long retryAfterSeconds(@Nullable String keyId) {
        TokenBucket bucket = keyId == null ? null : buckets.get(keyId);
        if (bucket == null) {
            return 0;
        }
        long wait;
        synchronized (bucket) { // requests of one key arrive on every event loop at once
            long now = nanos.getAsLong();
            if (bucket.tryTake(now)) {
                return 0;
            }
            wait = bucket.nanosUntilToken(now);
        }
        return Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
    }
}
