package io.pushgate.config;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The admin keys in force: {@code pushgate.admin.keys} as configured, or, in a zero-configuration
 * development start only (the API key was generated too, so the banner already shows an open key and the
 * server listens on loopback unless told otherwise), one generated for the banner to show. A node with
 * configured secrets never gets a generated admin key: without {@code pushgate.admin.keys} its admin page
 * is off.
 *
 * @param generated whether the key was generated (so the banner may show it)
 */
record AdminSecret(List<String> keys, boolean generated) {

    private static final SecureRandom RANDOM = new SecureRandom();

    static AdminSecret resolve(PushgateProperties properties, Secrets secrets) {
        List<String> keys = properties.admin().keys().stream().filter(k -> k != null && !k.isBlank()).toList();
        if (!keys.isEmpty() || !secrets.generatedApiKey()) {
            return new AdminSecret(keys, false);
        }
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        return new AdminSecret(List.of(Base64.getUrlEncoder().withoutPadding().encodeToString(raw)), true);
    }
}
