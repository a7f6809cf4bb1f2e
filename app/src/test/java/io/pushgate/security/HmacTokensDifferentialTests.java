package io.pushgate.security;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import io.pushgate.core.InvalidTokenException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * pushgate's own verifier and nimbus, a standard JWT library configured with the same keys (default and by
 * {@code kid}), the same clock skew, the same required claims and the same issuer and audience, must take
 * and refuse the same tokens. Every combination of a header, a signing key, a claims set and an encoding
 * is tried on both; where pushgate is documented to be stricter (see {@link HmacTokens}) the test only
 * checks that pushgate refuses:
 * <ul>
 *   <li>{@link Encoding#PADDED}, {@link Encoding#STRAY_BITS}, {@link Encoding#STANDARD_ALPHABET}: only
 *       canonical base64url is taken (nimbus decodes all three);</li>
 *   <li>{@link Claims#DUPLICATE_SUB}: a duplicate claim name is refused (a claim read twice must not mean two
 *       things to two parsers).</li>
 * </ul>
 * Times are a minute or more from the skew's edges, so the two clocks never read a boundary differently.
 */
class HmacTokensDifferentialTests {

    private static final String SECRET = "differential-default-secret-of-32-bytes+";
    private static final String ROTATED = "differential-rotated-secret-of-32-bytes!";
    private static final String OTHER = "differential-unknown-secret-of-32-bytes!!";
    private static final String ISSUER = "https://backend.example";
    private static final String AUDIENCE = "pushgate";

    private static final HmacTokens PUSHGATE = new HmacTokens(SECRET, Map.of("k2", ROTATED), ISSUER, AUDIENCE);
    private static final DefaultJWTProcessor<SecurityContext> NIMBUS = nimbus();

    /** The header, as a backend or an attacker might write it. */
    enum Header {
        PLAIN("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"),
        NO_TYP("{\"alg\":\"HS256\"}"),
        KID("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k2\"}"),
        UNKNOWN_KID("{\"alg\":\"HS256\",\"kid\":\"k9\"}"),
        ALG_NONE("{\"alg\":\"none\",\"typ\":\"JWT\"}"),
        ALG_HS512("{\"alg\":\"HS512\",\"typ\":\"JWT\"}"),
        OTHER_TYP("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}"),
        CRIT("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}"),
        NO_ALG("{\"typ\":\"JWT\"}");

        final String json;

        Header(String json) {
            this.json = json;
        }
    }

    /** Which key signs, and with which MAC. */
    enum Signer {
        DEFAULT(SECRET, "HmacSHA256"), ROTATED_KEY(ROTATED, "HmacSHA256"), UNKNOWN(OTHER, "HmacSHA256"),
        DEFAULT_SHA512(SECRET, "HmacSHA512");

        final String secret;
        final String mac;

        Signer(String secret, String mac) {
            this.secret = secret;
            this.mac = mac;
        }
    }

    /** The claims: {@code NOW} stands for the current epoch second, {@code +n}/{@code -n} offsets from it. */
    enum Claims {
        VALID("{\"sub\":\"alice\",\"exp\":NOW+3600,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        AUD_ARRAY("{\"sub\":\"alice\",\"exp\":NOW+3600,\"iss\":\"" + ISSUER + "\",\"aud\":[\"other\",\"" + AUDIENCE + "\"]}"),
        WITH_EXTRAS("{\"sub\":\"alice\",\"exp\":NOW+3600,\"iat\":NOW-10,\"jti\":\"j1\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\",\"groups\":[\"g\"]}"),
        EXPIRED("{\"sub\":\"alice\",\"exp\":NOW-60,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        EXPIRED_WITHIN_SKEW("{\"sub\":\"alice\",\"exp\":NOW-1,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        NOT_YET_VALID("{\"sub\":\"alice\",\"exp\":NOW+3600,\"nbf\":NOW+60,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        NOT_YET_VALID_WITHIN_SKEW("{\"sub\":\"alice\",\"exp\":NOW+3600,\"nbf\":NOW+1,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        VALID_SINCE("{\"sub\":\"alice\",\"exp\":NOW+3600,\"nbf\":NOW-60,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        NO_EXP("{\"sub\":\"alice\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        NO_SUB("{\"exp\":NOW+3600,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        NO_ISS("{\"sub\":\"alice\",\"exp\":NOW+3600,\"aud\":\"" + AUDIENCE + "\"}"),
        OTHER_ISS("{\"sub\":\"alice\",\"exp\":NOW+3600,\"iss\":\"https://evil.example\",\"aud\":\"" + AUDIENCE + "\"}"),
        NO_AUD("{\"sub\":\"alice\",\"exp\":NOW+3600,\"iss\":\"" + ISSUER + "\"}"),
        OTHER_AUD("{\"sub\":\"alice\",\"exp\":NOW+3600,\"iss\":\"" + ISSUER + "\",\"aud\":[\"other\"]}"),
        EXP_AS_TEXT("{\"sub\":\"alice\",\"exp\":\"tomorrow\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        NBF_AS_TEXT("{\"sub\":\"alice\",\"exp\":NOW+3600,\"nbf\":\"now\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}"),
        AUD_AS_NUMBER("{\"sub\":\"alice\",\"exp\":NOW+3600,\"iss\":\"" + ISSUER + "\",\"aud\":7}"),
        NOT_AN_OBJECT("[\"alice\"]"),
        DUPLICATE_SUB("{\"sub\":\"alice\",\"sub\":\"root\",\"exp\":NOW+3600,\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\"}");

        final String template;

        Claims(String template) {
            this.template = template;
        }

        String json(long now) {
            String json = template;
            for (String op : List.of("+", "-")) {
                int at;
                while ((at = json.indexOf("NOW" + op)) >= 0) {
                    int end = at + 4;
                    while (end < json.length() && Character.isDigit(json.charAt(end))) {
                        end++;
                    }
                    long offset = Long.parseLong(json.substring(at + 4, end));
                    json = json.substring(0, at) + (op.equals("+") ? now + offset : now - offset) + json.substring(end);
                }
            }
            return json;
        }
    }

    /** How the signed token is spelled, or tampered with after signing. */
    enum Encoding {
        CANONICAL, PADDED, STRAY_BITS, STANDARD_ALPHABET, TAMPERED_CLAIMS, TAMPERED_SIGNATURE, NO_SIGNATURE;

        /** Spellings nimbus takes and pushgate, by design, does not. */
        boolean pushgateStricter() {
            return this == PADDED || this == STRAY_BITS || this == STANDARD_ALPHABET;
        }
    }

    record Case(Header header, Signer signer, Claims claims, Encoding encoding) {

        boolean pushgateStricter() {
            return encoding.pushgateStricter() || claims == Claims.DUPLICATE_SUB;
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Header header : Header.values()) {
            for (Signer signer : Signer.values()) {
                for (Claims claims : Claims.values()) {
                    // every encoding for the valid claims; the claims vary under the canonical encoding
                    for (Encoding encoding : claims == Claims.VALID ? List.of(Encoding.values()) : List.of(Encoding.CANONICAL)) {
                        cases.add(new Case(header, signer, claims, encoding));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void pushgateAndNimbusAgreeOrPushgateIsTheStricter(Case c) {
        long now = Instant.now().getEpochSecond();
        String token = token(c, now);

        boolean pushgate = pushgateAccepts(token);
        boolean nimbus = nimbusAccepts(token);

        if (c.pushgateStricter()) {
            assertThat(pushgate).as("pushgate on %s: %s", c, token).isFalse();
        } else {
            assertThat(pushgate).as("pushgate %s what nimbus %s, on %s: %s", pushgate ? "accepts" : "refuses",
                    nimbus ? "accepts" : "refuses", c, token).isEqualTo(nimbus);
        }
    }

    /** The sample holds both answers, so the comparison above is not vacuous. */
    @ParameterizedTest
    @MethodSource("acceptedCases")
    void theValidTokensOfEachKeyAreAcceptedByBoth(Case c) {
        String token = token(c, Instant.now().getEpochSecond());
        assertThat(pushgateAccepts(token)).as("pushgate").isTrue();
        assertThat(nimbusAccepts(token)).as("nimbus").isTrue();
    }

    static Stream<Case> acceptedCases() {
        return Stream.of(new Case(Header.PLAIN, Signer.DEFAULT, Claims.VALID, Encoding.CANONICAL),
                new Case(Header.NO_TYP, Signer.DEFAULT, Claims.AUD_ARRAY, Encoding.CANONICAL),
                new Case(Header.KID, Signer.ROTATED_KEY, Claims.VALID, Encoding.CANONICAL),
                new Case(Header.PLAIN, Signer.DEFAULT, Claims.NOT_YET_VALID_WITHIN_SKEW, Encoding.CANONICAL),
                new Case(Header.PLAIN, Signer.DEFAULT, Claims.EXPIRED_WITHIN_SKEW, Encoding.CANONICAL));
    }

    private static boolean pushgateAccepts(String token) {
        try {
            PUSHGATE.verify(token);
            return true;
        } catch (InvalidTokenException e) {
            return false;
        }
    }

    private static boolean nimbusAccepts(String token) {
        try {
            NIMBUS.process(token, null);
            return true;
        } catch (Exception e) { // ParseException, BadJOSEException, JOSEException: all a refusal
            return false;
        }
    }

    /** nimbus as pushgate is configured: HS256 only, a kid selects its key and nothing else, 5 s skew. */
    private static DefaultJWTProcessor<SecurityContext> nimbus() {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector((header, context) -> {
            if (!JWSAlgorithm.HS256.equals(header.getAlgorithm())) {
                return List.of();
            }
            String kid = header.getKeyID();
            String secret = kid == null ? SECRET : Map.of("k2", ROTATED).get(kid);
            return secret == null ? List.<Key>of()
                    : List.<Key>of(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        });
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(AUDIENCE,
                new JWTClaimsSet.Builder().issuer(ISSUER).build(), Set.of("sub", "exp"));
        claims.setMaxClockSkew(5);
        processor.setJWTClaimsSetVerifier(claims);
        return processor;
    }

    private static String token(Case c, long now) {
        String header = b64(c.header().json.getBytes(StandardCharsets.UTF_8));
        String claims = b64(c.claims().json(now).getBytes(StandardCharsets.UTF_8));
        String input = header + "." + claims;
        String signature = b64(mac(input, c.signer()));
        return switch (c.encoding()) {
            case CANONICAL -> input + "." + signature;
            case PADDED -> {
                String padded = pad(header) + "." + pad(claims);
                yield padded + "." + pad(b64(mac(padded, c.signer())));
            }
            case STRAY_BITS -> input + "." + strayBits(signature);
            case STANDARD_ALPHABET -> {
                String standard = (input + "." + signature).replace('-', '+').replace('_', '/');
                // a spelling without '-' or '_' is canonical already: make one that is not
                yield standard.equals(input + "." + signature) ? input + "." + strayBits(signature) : standard;
            }
            case TAMPERED_CLAIMS -> header + "." + b64(c.claims().json(now).replace("alice", "admin").getBytes(StandardCharsets.UTF_8))
                    + "." + signature;
            case TAMPERED_SIGNATURE -> input + "." + (signature.charAt(0) == 'A' ? 'B' : 'A') + signature.substring(1);
            case NO_SIGNATURE -> input + ".";
        };
    }

    /** The same bytes with the unused low bits of the last character set: nimbus decodes it to the same MAC. */
    private static String strayBits(String canonical) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char last = canonical.charAt(canonical.length() - 1);
        return canonical.substring(0, canonical.length() - 1) + alphabet.charAt(alphabet.indexOf(last) | 1);
    }

    private static String pad(String base64url) {
        return base64url + "=".repeat((4 - base64url.length() % 4) % 4);
    }

    private static byte[] mac(String input, Signer signer) {
        try {
            Mac mac = Mac.getInstance(signer.mac);
            mac.init(new SecretKeySpec(signer.secret.getBytes(StandardCharsets.UTF_8), signer.mac));
            return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
