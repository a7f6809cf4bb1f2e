package io.pushgate.core;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The first answer of each publish that carried an idempotency key, on a node that runs alone. Bounded
 * in time (a key is forgotten after the window) and in count (past {@code maxKeys} the oldest key goes
 * first, so a repeat of it would publish again). Not thread-safe: the caller serialises.
 */
final class IdempotencyKeys {

    private record First(PublishResult answer, long until) {
    }

    private final long windowMillis;
    /** In insertion order, which is expiry order: every key gets the same window. */
    private final OldestFirstMap<String, First> firsts;

    IdempotencyKeys(Duration window, int maxKeys) {
        if (window.isNegative() || window.isZero() || maxKeys < 1) {
            throw new IllegalArgumentException("the idempotency window and key count must be positive");
        }
        this.windowMillis = window.toMillis();
        this.firsts = new OldestFirstMap<>(maxKeys);
    }

    /** The first answer for the key, when it was seen within the window. */
    @Nullable PublishResult first(String key, long now) {
        forgetExpired(now);
        First first = firsts.get(key);
        return first == null ? null : first.answer();
    }

    void remember(String key, PublishResult answer, long now) {
        firsts.put(key, new First(answer, now + windowMillis));
    }

    private void forgetExpired(long now) {
        Iterator<Map.Entry<String, First>> it = firsts.entrySet().iterator();
        while (it.hasNext() && it.next().getValue().until() <= now) {
            it.remove();
        }
    }
}
