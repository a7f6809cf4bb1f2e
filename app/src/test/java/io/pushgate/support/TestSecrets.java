package io.pushgate.support;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import io.pushgate.security.HmacTokens;

/** Secrets the test server runs with, and tokens signed with them. */
public final class TestSecrets {

    public static final String JWT_SECRET = "test-secret-that-is-at-least-32-bytes-long";
    public static final String API_KEY = "test-api-key-0123456789";
    /** An admin key (pushgate.admin.keys) for servers that switch the admin page on. */
    public static final String ADMIN_KEY = "test-admin-key-0123456789";
    public static final String OTHER_SECRET = "another-secret-that-is-32-bytes-or-more!";

    private static final HmacTokens TOKENS = new HmacTokens(JWT_SECRET);

    private TestSecrets() {
    }

    public static String token(String uid) {
        return token(uid, List.of(), List.of());
    }

    public static String token(String uid, List<String> groups, List<String> publish) {
        return TOKENS.issue(uid, Duration.ofHours(1), groups, publish);
    }

    public static String token(String uid, Duration lifetime, List<String> groups, List<String> publish) {
        return TOKENS.issue(uid, lifetime, groups, publish);
    }

    public static String signedWithOtherSecret(String uid) {
        return new HmacTokens(OTHER_SECRET).issue(uid, Duration.ofHours(1), List.of(), List.of());
    }

    /** A uid no other test uses, so tests sharing a server never see each other's sessions. */
    public static String uniqueUid(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
