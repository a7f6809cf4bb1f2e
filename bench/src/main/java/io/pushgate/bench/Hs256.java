package io.pushgate.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs client tokens the way the server verifies them: a compact JWS, header
 * {@code {"alg":"HS256"}}, claims {@code sub}, {@code exp} and optionally {@code groups}, HMAC-SHA256
 * over the UTF-8 bytes of the secret (at least 32 bytes, like the server requires).
 */
final class Hs256 {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    Hs256(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 32) {
            throw new IllegalArgumentException("--jwt-secret must be at least 32 bytes (the server refuses shorter HS256 secrets)");
        }
        this.key = new SecretKeySpec(bytes, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** A token for {@code uid} that expires at {@code expEpochSeconds}, joining {@code groups} on connect. */
    String token(String uid, long expEpochSeconds, List<String> groups) {
        StringBuilder claims = new StringBuilder(64).append("{\"sub\":");
        Json.string(claims, uid);
        claims.append(",\"exp\":").append(expEpochSeconds);
        if (!groups.isEmpty()) {
            claims.append(",\"groups\":[");
            for (int i = 0; i < groups.size(); i++) {
                if (i > 0) {
                    claims.append(',');
                }
                Json.string(claims, groups.get(i));
            }
            claims.append(']');
        }
        claims.append('}');
        String signingInput = HEADER + "." + B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        byte[] signature = macs.get().doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + B64.encodeToString(signature);
    }
}
