package io.pushgate.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The operators' keys for the admin page and its API ({@code pushgate.admin.keys}), apart from the
 * backends' API keys: none may also be an API key, so neither kind opens the other's door. None
 * configured switches the admin page off. Comparison takes the same time whether a key matches early,
 * late or never.
 */
public final class AdminKeys {

    private final List<byte[]> keys;

    /**
     * @param keys    the configured admin keys; blank ones are ignored
     * @param apiKeys the API keys in force, which no admin key may repeat
     */
    public AdminKeys(List<String> keys, List<String> apiKeys) {
        List<String> given = keys.stream().filter(k -> k != null && !k.isBlank()).toList();
        if (given.stream().anyMatch(k -> k.length() < 16)) {
            throw new IllegalArgumentException("pushgate.admin.keys: each key needs 16 or more characters");
        }
        if (given.stream().anyMatch(apiKeys::contains)) {
            throw new IllegalArgumentException("pushgate.admin.keys: an admin key is also in pushgate.api.keys;"
                    + " give operators keys of their own");
        }
        this.keys = given.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** Whether any admin key is configured, which is what switches the admin page on. */
    public boolean enabled() {
        return !keys.isEmpty();
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
