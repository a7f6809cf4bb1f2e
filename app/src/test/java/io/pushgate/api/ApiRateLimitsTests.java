package io.pushgate.api;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-key buckets on a clock the test moves: what {@code Retry-After} says, and that it is right. */
class ApiRateLimitsTests {

    static final long SECOND = 1_000_000_000L;

    final AtomicLong now = new AtomicLong(123 * SECOND);

    @Test
    void aKeyGetsItsBurstThenWaitsWhatRetryAfterSays() {
        ApiRateLimits limits = new ApiRateLimits(List.of("aaaaaaaa", "bbbbbbbb"), 0.25, 2, now::get);

        assertThat(limits.retryAfterSeconds("aaaaaaaa")).isZero();
        assertThat(limits.retryAfterSeconds("aaaaaaaa")).isZero();
        assertThat(limits.retryAfterSeconds("aaaaaaaa")).as("one token every 4 s").isEqualTo(4);
        assertThat(limits.retryAfterSeconds("bbbbbbbb")).as("another key").isZero();

        now.addAndGet(3 * SECOND + 1);
        assertThat(limits.retryAfterSeconds("aaaaaaaa")).as("rounded up, never 0").isEqualTo(1);
        now.addAndGet(SECOND);
        assertThat(limits.retryAfterSeconds("aaaaaaaa")).as("after Retry-After").isZero();
        assertThat(limits.retryAfterSeconds("aaaaaaaa")).isEqualTo(4);
    }

    @Test
    void theBurstDefaultsToOneSecondsWorth() {
        ApiRateLimits limits = new ApiRateLimits(List.of("aaaaaaaa"), 3, 0, now::get);

        assertThat(List.of(limits.retryAfterSeconds("aaaaaaaa"), limits.retryAfterSeconds("aaaaaaaa"),
                limits.retryAfterSeconds("aaaaaaaa"), limits.retryAfterSeconds("aaaaaaaa"))).containsExactly(0L, 0L, 0L, 1L);
    }

    @Test
    void offOrWithoutAKnownKeyNothingIsCounted() {
        ApiRateLimits off = new ApiRateLimits(List.of("aaaaaaaa"), 0, 0, now::get);
        ApiRateLimits on = new ApiRateLimits(List.of("aaaaaaaa"), 1, 1, now::get);

        assertThat(off.enabled()).isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(off.retryAfterSeconds("aaaaaaaa")).isZero();
            assertThat(on.retryAfterSeconds(null)).isZero();
            assertThat(on.retryAfterSeconds("unknown")).isZero();
        }
    }
}
