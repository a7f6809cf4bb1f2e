package io.pushgate.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The backend API keys. Comparison takes the same time whether a key matches early, late or never.
 *
 * <p>Each key has an id, {@link #id(String)}: the first 8 hex digits of the SHA-256 of the key. Logs,
 * rate limits and audit lines name a key by its id, never by the key; the id cannot be turned back into
 * the key, and an operator finds it with {@code printf %s "$KEY" | sha256sum | cut -c1-8}.
 */
public final class ApiKeys {

    private final byte[][] keys;
    private final String[] ids;

    public ApiKeys(List<String> keys) {
        if (keys.isEmpty() || keys.stream().anyMatch(k -> k == null || k.length() < 16)) {
            throw new IllegalArgumentException("pushgate.api.keys needs at least one key of 16 or more characters");
        }
        Map<String, String> byId = new LinkedHashMap<>();
        for (String key : keys) {
            String previous = byId.putIfAbsent(id(key), key);
            if (previous != null && !previous.equals(key)) {
                // one id per key is what lets logs and limits tell keys apart; a 1 in 4 billion chance
                throw new IllegalArgumentException("two pushgate.api.keys have the same id " + id(key) + ": replace one");
            }
        }
        this.keys = byId.values().stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        this.ids = byId.keySet().toArray(String[]::new);
    }

    public boolean matches(String candidate) {
        return idOf(candidate) != null;
    }

    /** @return the id of the configured key {@code candidate} is, or {@code null} when it is none of them */
    public @Nullable String idOf(String candidate) {
        byte[] given = candidate.getBytes(StandardCharsets.UTF_8);
        String found = null;
        for (int i = 0; i < keys.length; i++) {
            if (MessageDigest.isEqual(keys[i], given)) {
                found = ids[i]; // no early exit: the time taken says nothing about which key matched
            }
        }
        return found;
    }

    /** The ids of the configured keys, each once. */
    public List<String> ids() {
        return List.of(ids);
    }

    /** A key's id: the first 8 hex digits of its SHA-256, stable across restarts and nodes. */
    public static String id(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
