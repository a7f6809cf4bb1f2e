package io.pushgate.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Names;
import io.pushgate.core.TokenVerifier;

import org.jspecify.annotations.Nullable;

/**
 * Verifies and issues HS256 client tokens with the claims of the contract: {@code sub} (uid,
 * required), {@code exp} (required), {@code nbf} (optional), {@code groups} and {@code publish} (arrays
 * of group names), and, when configured, {@code iss} and {@code aud}.
 *
 * <p>Only HS256 is accepted, whatever the token's header says, so an {@code alg: none} or a
 * key-confusion token is refused. Every secret must be at least 32 bytes, as RFC 7518 requires.
 *
 * <p>Keys rotate by id: a token whose header has {@code kid} is checked with the key of that id
 * ({@code pushgate.auth.jwt-keys.<kid>}) and no other, so an unknown id is refused even when another key
 * would match; a token without {@code kid} is checked with {@code pushgate.auth.jwt-secret}.
 * {@code exp} and {@code nbf} are both given the same clock skew ({@link #CLOCK_SKEW}).
 *
 * <p>Where this verifier is stricter than a standard library (nimbus, configured with the same keys,
 * skew and required claims; {@code HmacTokensDifferentialTests} checks that they otherwise agree):
 * <ul>
 *   <li>only canonical base64url (RFC 7515 §2): no {@code =} padding, no non-zero bits after the last
 *       byte, no {@code +} or {@code /}, so one token has one spelling;</li>
 *   <li>duplicate names in the header or the claims are refused;</li>
 *   <li>{@code sub} must be a valid uid, and {@code groups} / {@code publish} arrays of valid group names.</li>
 * </ul>
 * One leniency: an integer {@code sub} is read as its digits (PHP's {@code json_encode} of an int uid).
 *
 * <p>Verifying is done here rather than by nimbus: every connect verifies a token on an event loop,
 * and nimbus's parse (three JSON readers with their buffers, a {@code Mac} looked up per token) made
 * about 7 KB of garbage per connect, the largest part of what a connect burst allocates. Issuing, used
 * only for the start-up sample, the {@code token} command and tests, stays with nimbus, so every
 * verification test also checks that tokens of a standard library verify.
 *
 * <p>Why one class of about 470 lines: it parses and verifies tokens by hand (no JWT library on the
 * connect path), and every step must hold the same strict rules: canonical base64url, one JSON shape
 * per claim, the key chosen by {@code kid}. {@code HmacTokensDifferentialTests} checks it against
 * nimbus.
 */
public final class HmacTokens implements TokenVerifier {

    /** Tolerated clock difference between the backend that signs and this node. */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(5);

    /** Past the year 9999 every expiry is the same: far enough, and {@link Instant} cannot overflow. */
    private static final long LATEST_EXP = 253_402_300_799L;

    private static final String MALFORMED_CLAIMS = "token claims are malformed: groups and publish must be arrays of strings";

    /** Duplicate names are refused: a claim read twice must not mean two things to two parsers. */
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** The value of each base64url character, -1 for any other ASCII character. */
    private static final byte[] BASE64URL = new byte[128];

    static {
        Arrays.fill(BASE64URL, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < alphabet.length(); i++) {
            BASE64URL[alphabet.charAt(i)] = (byte) i;
        }
    }

    /**
     * One signing key. One keyed MAC per thread: verifying runs on event loops, and a {@code Mac} is
     * neither thread-safe nor cheap to look up (nimbus's verifier looked one up per token, several
     * kilobytes of garbage).
     */
    private record Key(ThreadLocal<Mac> macs) {

        static Key of(String secret, String setting) {
            byte[] key = secret.getBytes(StandardCharsets.UTF_8);
            if (key.length < 32) {
                throw new IllegalArgumentException(setting + " must be at least 32 bytes (256 bits) for HS256");
            }
            Mac keyed;
            try {
                keyed = Mac.getInstance("HmacSHA256");
                keyed.init(new SecretKeySpec(key, "HmacSHA256"));
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("unusable " + setting + ": " + e.getMessage());
            }
            return new Key(ThreadLocal.withInitial(() -> copy(keyed)));
        }
    }

    /** An encoded header found acceptable, and the key its {@code kid} (or its lack of one) selects. */
    private record KnownHeader(String encoded, Key key) {
    }

    private final Key defaultKey;
    private final Map<String, Key> keysById;
    private final @Nullable String issuer;
    private final @Nullable String audience;

    /**
     * The encoded header last found acceptable. A backend signs every token with the same header, so
     * the header is decoded and parsed once, not once per connect; a race only costs a re-check.
     */
    private volatile @Nullable KnownHeader knownHeader;
    private final MACSigner signer;
    private final Map<String, MACSigner> signersById;

    /** A verifier with one key, for tokens without {@code kid}, and no issuer or audience check. */
    public HmacTokens(String secret) {
        this(secret, Map.of(), null, null);
    }

    /**
     * @param secret   the key of tokens without {@code kid} ({@code pushgate.auth.jwt-secret})
     * @param keysById the keys of tokens with {@code kid}, by id ({@code pushgate.auth.jwt-keys.<kid>})
     * @param issuer   when set, {@code iss} must be this string ({@code pushgate.auth.issuer})
     * @param audience when set, {@code aud} (a string or an array of strings) must hold it ({@code pushgate.auth.audience})
     */
    public HmacTokens(String secret, Map<String, String> keysById, @Nullable String issuer, @Nullable String audience) {
        this.defaultKey = Key.of(secret, "pushgate.auth.jwt-secret");
        Map<String, Key> keys = new HashMap<>();
        keysById.forEach((kid, key) -> keys.put(kid, Key.of(key, "pushgate.auth.jwt-keys." + kid)));
        this.keysById = Map.copyOf(keys);
        this.issuer = issuer == null || issuer.isEmpty() ? null : issuer;
        this.audience = audience == null || audience.isEmpty() ? null : audience;
        this.signer = signer(secret, "pushgate.auth.jwt-secret");
        Map<String, MACSigner> signers = new HashMap<>();
        keysById.forEach((kid, key) -> signers.put(kid, signer(key, "pushgate.auth.jwt-keys." + kid)));
        this.signersById = Map.copyOf(signers);
    }

    private static MACSigner signer(String secret, String setting) {
        try {
            return new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable " + setting + ": " + e.getMessage());
        }
    }

    private static Mac copy(Mac prototype) {
        try {
            return (Mac) prototype.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("HmacSHA256 of this JDK cannot be cloned", e);
        }
    }

    /**
     * The longest token taken, in characters. A longer one is refused before any of it is decoded or
     * hashed, so a megabyte presented in an auth frame costs a length check, not a base64 decode, a JSON
     * parse and an HMAC over it. Real tokens are a few hundred characters.
     */
    public static final int MAX_TOKEN_LENGTH = 8192;

    @Override
    public ClientClaims verify(String token) throws InvalidTokenException {
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidTokenException("token is longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        String compact = token.trim();
        int dot1 = compact.indexOf('.');
        int dot2 = dot1 < 0 ? -1 : compact.indexOf('.', dot1 + 1);
        if (dot1 <= 0 || dot2 < 0 || compact.indexOf('.', dot2 + 1) >= 0) {
            throw new InvalidTokenException("malformed token");
        }
        // a character beyond Latin-1 becomes '?', which no part of a compact JWS may hold: refused below
        byte[] ascii = compact.getBytes(StandardCharsets.ISO_8859_1);
        KnownHeader known = knownHeader;
        boolean headerKnown = known != null && known.encoded().length() == dot1 && compact.startsWith(known.encoded());
        byte[] header = headerKnown ? null : base64url(ascii, 0, dot1);
        byte[] claims = base64url(ascii, dot1 + 1, dot2);
        byte[] signature = base64url(ascii, dot2 + 1, ascii.length);
        if (!headerKnown) {
            String kid = checkHeader(header);
            Key key = kid == null ? defaultKey : keysById.get(kid);
            if (key == null) {
                throw new InvalidTokenException(InvalidTokenException.Reason.BAD_SIGNATURE, "token names an unknown signing key (kid)");
            }
            known = new KnownHeader(compact.substring(0, dot1), key);
            knownHeader = known;
        }
        Mac mac = known.key().macs().get();
        mac.update(ascii, 0, dot2);
        if (!MessageDigest.isEqual(mac.doFinal(), signature)) {
            throw new InvalidTokenException(InvalidTokenException.Reason.BAD_SIGNATURE, "bad token signature");
        }
        return claims(claims);
    }

    /**
     * Decodes canonical base64url as RFC 7515 writes it: no padding, no {@code +} or {@code /}, and no
     * non-zero bits after the last byte. Anything else is refused, so that a token has a single spelling
     * (a token refused once cannot come back as a variant that a cache, log or deny-list would not know).
     * Written out rather than through {@link java.util.Base64} to decode a part of the token's bytes
     * without a buffer wrapper or a copy of the part.
     */
    private static byte[] base64url(byte[] ascii, int from, int to) throws InvalidTokenException {
        int length = to - from;
        if (length % 4 == 1) {
            throw new InvalidTokenException("malformed token");
        }
        byte[] out = new byte[length * 3 / 4];
        int o = 0;
        int bits = 0;
        int acc = 0;
        for (int i = from; i < to; i++) {
            int c = ascii[i];
            int sextet = c >= 0 && c < BASE64URL.length ? BASE64URL[c] : -1;
            if (sextet < 0) {
                throw new InvalidTokenException("malformed token");
            }
            acc = acc << 6 | sextet;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[o++] = (byte) (acc >> bits);
            }
        }
        if ((acc & ((1 << bits) - 1)) != 0) {
            throw new InvalidTokenException("malformed token"); // non-canonical: the unused last bits must be zero
        }
        return out;
    }

    /**
     * Only {@code HS256}, no critical extension (this node understands none, so it must refuse them, RFC 7515
     * §4.1.11), and a {@code typ}, when present, of {@code JWT} (RFC 7519 §5.1), so that another kind of
     * signed object is not taken for a token.
     *
     * @return the {@code kid}, or {@code null} when the header has none
     */
    private static @Nullable String checkHeader(byte[] json) throws InvalidTokenException {
        String alg = null;
        String kid = null;
        boolean critical = false;
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidTokenException("malformed token");
            }
            for (String name = p.nextName(); name != null; name = p.nextName()) {
                JsonToken value = p.nextToken();
                if (name.equals("alg") && value == JsonToken.VALUE_STRING) {
                    alg = p.getString();
                } else if (name.equals("kid")) {
                    if (value != JsonToken.VALUE_STRING) {
                        throw new InvalidTokenException("token header kid must be a string");
                    }
                    kid = p.getString();
                } else if (name.equals("typ")) {
                    if (value != JsonToken.VALUE_STRING || !isJwtType(p.getString())) {
                        throw new InvalidTokenException("token header typ, when present, must be JWT");
                    }
                } else if (name.equals("crit")) {
                    critical = true;
                }
                p.skipChildren();
            }
            if (p.nextToken() != null) {
                throw new InvalidTokenException("malformed token");
            }
        } catch (JacksonException e) {
            throw new InvalidTokenException("malformed token");
        }
        if (!"HS256".equals(alg)) {
            throw new InvalidTokenException("token must be signed with HS256");
        }
        if (critical) {
            throw new InvalidTokenException("token header names critical extensions (crit), which this node does not support");
        }
        return kid;
    }

    private static boolean isJwtType(String typ) {
        return typ.equalsIgnoreCase("JWT") || typ.equalsIgnoreCase("application/jwt");
    }

    private ClientClaims claims(byte[] json) throws InvalidTokenException {
        String uid = null;
        Long exp = null;
        Long nbf = null;
        String iss = null;
        List<String> aud = null;
        Set<String> groups = Set.of();
        Set<String> publish = Set.of();
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidTokenException(MALFORMED_CLAIMS);
            }
            for (String name = p.nextName(); name != null; name = p.nextName()) {
                JsonToken value = p.nextToken();
                switch (name) {
                    case "sub" -> uid = subject(p, value);
                    case "exp" -> exp = numericDate(p, value, "exp");
                    case "nbf" -> nbf = numericDate(p, value, "nbf");
                    case "iat" -> numericDate(p, value, "iat"); // not checked, but a wrong type is a malformed token
                    case "iss" -> iss = text(p, value, "iss");
                    case "jti" -> text(p, value, "jti");
                    case "aud" -> aud = audiences(p, value);
                    case "groups" -> groups = names(p, value, "groups");
                    case "publish" -> publish = names(p, value, "publish");
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new InvalidTokenException(MALFORMED_CLAIMS);
            }
        } catch (JacksonException e) {
            throw new InvalidTokenException(MALFORMED_CLAIMS);
        }
        if (uid == null || !Names.isValid(uid)) {
            throw new InvalidTokenException(InvalidTokenException.Reason.INVALID_CLAIMS, "token needs a sub claim of 1-" + Names.MAX_LENGTH + " characters");
        }
        if (exp == null) {
            throw new InvalidTokenException(InvalidTokenException.Reason.INVALID_CLAIMS, "token needs an exp claim");
        }
        Instant now = Instant.now();
        Instant expiresAt = epochSeconds(exp).plus(CLOCK_SKEW);
        if (!expiresAt.isAfter(now)) {
            throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED, "token expired");
        }
        if (nbf != null && epochSeconds(nbf).minus(CLOCK_SKEW).isAfter(now)) {
            throw new InvalidTokenException(InvalidTokenException.Reason.INVALID_CLAIMS, "token not valid yet (nbf)");
        }
        if (issuer != null && !issuer.equals(iss)) {
            throw new InvalidTokenException(InvalidTokenException.Reason.INVALID_CLAIMS, "token issuer (iss) is not the one this node takes");
        }
        if (audience != null && (aud == null || !aud.contains(audience))) {
            throw new InvalidTokenException(InvalidTokenException.Reason.INVALID_CLAIMS, "token audience (aud) does not name this node's");
        }
        return new ClientClaims(uid, groups, publish, expiresAt);
    }

    /** Before 1970 every time is the same, and so is every time after 9999: {@link Instant} cannot overflow. */
    private static Instant epochSeconds(long seconds) {
        return Instant.ofEpochSecond(Math.max(0, Math.min(seconds, LATEST_EXP)));
    }

    private static @Nullable String text(JsonParser p, JsonToken value, String claim) throws InvalidTokenException {
        return switch (value) {
            case VALUE_STRING -> p.getString();
            case VALUE_NULL -> null;
            default -> throw new InvalidTokenException("token claim " + claim + " must be a string");
        };
    }

    /** {@code aud}: one string, or an array of strings (RFC 7519 §4.1.3). */
    private static @Nullable List<String> audiences(JsonParser p, JsonToken value) throws InvalidTokenException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value == JsonToken.VALUE_STRING) {
            return List.of(p.getString());
        }
        if (value != JsonToken.START_ARRAY) {
            throw new InvalidTokenException("token claim aud must be a string or an array of strings");
        }
        List<String> audiences = new ArrayList<>();
        for (JsonToken item = p.nextToken(); item != JsonToken.END_ARRAY; item = p.nextToken()) {
            if (item != JsonToken.VALUE_STRING) {
                throw new InvalidTokenException("token claim aud must be a string or an array of strings");
            }
            audiences.add(p.getString());
        }
        return audiences;
    }

    /** A string, or an integer as its decimal digits: PHP's {@code json_encode} writes an int user id as a number. */
    private static String subject(JsonParser p, JsonToken value) throws InvalidTokenException {
        return switch (value) {
            case VALUE_STRING, VALUE_NUMBER_INT -> p.getString();
            case VALUE_NULL -> null;
            default -> throw new InvalidTokenException("token claim sub must be a string");
        };
    }

    private static @Nullable Long numericDate(JsonParser p, JsonToken value, String claim) throws InvalidTokenException {
        return switch (value) {
            case VALUE_NUMBER_INT -> p.getLongValue(); // beyond a long: refused as malformed
            case VALUE_NUMBER_FLOAT -> (long) p.getDoubleValue();
            case VALUE_NULL -> null;
            default -> throw new InvalidTokenException("token claim " + claim + " must be a number of seconds since the epoch");
        };
    }

    private static Set<String> names(JsonParser p, JsonToken value, String claim) throws InvalidTokenException {
        if (value == JsonToken.VALUE_NULL) {
            return Set.of();
        }
        if (value != JsonToken.START_ARRAY) {
            throw new InvalidTokenException(MALFORMED_CLAIMS);
        }
        List<String> names = new ArrayList<>();
        for (JsonToken item = p.nextToken(); item != JsonToken.END_ARRAY; item = p.nextToken()) {
            if (item != JsonToken.VALUE_STRING) {
                throw new InvalidTokenException(MALFORMED_CLAIMS);
            }
            String name = p.getString();
            if (!Names.isValid(name)) {
                throw new InvalidTokenException("token claim " + claim + " holds an invalid group name");
            }
            names.add(name);
        }
        return Set.copyOf(names);
    }

    /** Signs a token without {@code kid}; used for the development sample printed at start-up and by tests. */
    public String issue(String uid, Duration lifetime, List<String> groups, List<String> publish) {
        return issue(null, uid, lifetime, groups, publish);
    }

    /**
     * Signs a token that this verifier takes: with the key of {@code kid} and that {@code kid} in its
     * header, or without {@code kid} with {@code pushgate.auth.jwt-secret}; with the configured issuer and
     * audience, when there are. Used by the {@code token} command, the start-up sample and tests.
     *
     * @throws IllegalArgumentException when no key has that id
     */
    public String issue(@Nullable String kid, String uid, Duration lifetime, List<String> groups, List<String> publish) {
        MACSigner keySigner = kid == null ? signer : signersById.get(kid);
        if (keySigner == null) {
            throw new IllegalArgumentException("no signing key has the id '" + kid + "' (pushgate.auth.jwt-keys." + kid + ")");
        }
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .subject(uid)
                .issueTime(new Date())
                .expirationTime(Date.from(Instant.now().plus(lifetime)))
                .claim("groups", groups)
                .claim("publish", publish);
        if (issuer != null) {
            builder.issuer(issuer);
        }
        if (audience != null) {
            builder.audience(audience);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), builder.build());
        try {
            jwt.sign(keySigner);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing failed", e);
        }
        return jwt.serialize();
    }
}
