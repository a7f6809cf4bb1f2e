package io.pushgate.config;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The JWT secret and API keys in force, taken from configuration or, in development only, generated.
 *
 * @param generatedJwtSecret whether the JWT secret was generated (so the banner may show it)
 * @param generatedApiKey    whether the API key was generated (so the banner may show it)
 */
record Secrets(String jwtSecret, List<String> apiKeys, boolean generatedJwtSecret, boolean generatedApiKey) {

    private static final SecureRandom RANDOM = new SecureRandom();

    static Secrets resolve(PushgateProperties properties, boolean production) {
        @Nullable String secret = properties.auth().jwtSecret();
        List<String> keys = properties.api().keys().stream().filter(k -> k != null && !k.isBlank()).toList();
        boolean missingSecret = secret == null || secret.isBlank();
        if (production && (missingSecret || keys.isEmpty())) {
            throw new IllegalStateException("the 'prod' profile is active but "
                    + (missingSecret ? "pushgate.auth.jwt-secret (PUSHGATE_AUTH_JWT_SECRET)" : "pushgate.api.keys (PUSHGATE_API_KEYS)")
                    + " is not set; pushgate refuses to start with generated secrets in production");
        }
        return new Secrets(missingSecret ? random(32) : secret, keys.isEmpty() ? List.of(random(24)) : keys,
                missingSecret, keys.isEmpty());
    }

    boolean generated() {
        return generatedJwtSecret || generatedApiKey;
    }

    private static String random(int bytes) {
        byte[] raw = new byte[bytes];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }
}
