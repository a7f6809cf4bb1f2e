package io.pushgate.core;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An insertion-ordered map that drops its oldest entry once it holds more than {@code max}: what a node
 * remembers for callers (bans, idempotency keys) stays bounded whatever they send. Not thread-safe.
 */
final class OldestFirstMap<K, V> extends LinkedHashMap<K, V> {

    private static final long serialVersionUID = 1L;
    private final int max;

    OldestFirstMap(int max) {
        this.max = max;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > max;
    }
}
