package io.pushgate.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/** The backend API keys. Comparison takes the same time whether a key matches early, late or never. */
public final class ApiKeys {

    private final List<byte[]> keys;

    public ApiKeys(List<String> keys) {
        if (keys.isEmpty() || keys.stream().anyMatch(k -> k == null || k.length() < 16)) {
            throw new IllegalArgumentException("pushgate.api.keys needs at least one key of 16 or more characters");
        }
        this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    public boolean matches(String candidate) {
        byte[] given = candidate.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(key, given);
        }
        return match;
    }
}
