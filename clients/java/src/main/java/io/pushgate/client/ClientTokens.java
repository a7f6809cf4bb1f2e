package io.pushgate.client;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs the HS256 tokens pushgate's clients connect with, as the server verifies them: header
 * {@code {"alg":"HS256","typ":"JWT"}} (plus {@code kid} when given), claims {@code sub} (the uid),
 * {@code iat}, {@code exp}, {@code groups} (groups the connection joins) and {@code publish} (groups
 * it may publish to). With a {@code kid}, sign with the secret the server has under
 * {@code pushgate.auth.jwt-keys.<kid>}; without, with {@code pushgate.auth.jwt-secret}.
 *
 * <p>Servers configured with {@code pushgate.auth.issuer} or {@code audience} also need {@code iss}
 * or {@code aud}: pass them in {@code extraClaims}.
 */
public final class ClientTokens {

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private ClientTokens() {
    }

    /** A token for {@code uid}, valid for {@code ttl}, signed with the server's default secret. */
    public static String sign(String secret, String uid, Duration ttl, Collection<String> groups, Collection<String> publish) {
        return sign(secret, null, uid, ttl, groups, publish, Map.of());
    }

    /**
     * @param secret      the signing secret, at least 32 bytes (the server refuses shorter ones)
     * @param kid         the key id the server knows this secret by, or {@code null} for the default secret
     * @param extraClaims more claims (such as {@code iss}, {@code aud}); they cannot replace the ones above
     */
    public static String sign(String secret, String kid, String uid, Duration ttl, Collection<String> groups,
            Collection<String> publish, Map<String, ?> extraClaims) {
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < 32) {
            throw new IllegalArgumentException("an HS256 secret must be at least 32 bytes; pushgate refuses shorter ones");
        }
        if (uid == null || uid.isEmpty()) {
            throw new IllegalArgumentException("uid is required");
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "HS256");
        header.put("typ", "JWT");
        if (kid != null) {
            header.put("kid", kid);
        }
        long now = Instant.now().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>(extraClaims);
        claims.put("sub", uid);
        claims.put("iat", now);
        claims.put("exp", now + Math.max(1, ttl.toSeconds()));
        claims.put("groups", List.copyOf(groups));
        claims.put("publish", List.copyOf(publish));
        String signingInput = encode(Json.write(header)) + "." + encode(Json.write(claims));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] signature = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + BASE64URL.encodeToString(signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    private static String encode(String json) {
        return BASE64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
