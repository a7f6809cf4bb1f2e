package io.pushgate.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.InvalidTokenException;

/**
 * What a backend's token is accepted or refused for. Tokens are made two ways: by nimbus (what a
 * standard JWT library produces) and by hand from raw JSON, for the shapes no library would sign.
 */
class HmacTokensTests {

    private static final String SECRET = "unit-test-secret-that-is-at-least-32-bytes";
    private static final String HS256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    private final HmacTokens tokens = new HmacTokens(SECRET);

    @Test
    void tokenOfAStandardLibraryGrantsItsClaims() throws InvalidTokenException {
        String token = tokens.issue("alice", Duration.ofMinutes(10), List.of("room-a", "room-b"), List.of("room-a"));

        ClientClaims claims = tokens.verify(token);

        assertThat(claims.uid()).isEqualTo("alice");
        assertThat(claims.groups()).containsExactlyInAnyOrder("room-a", "room-b");
        assertThat(claims.publish()).containsExactly("room-a");
        assertThat(claims.expiresAt()).isBetween(Instant.now().plusSeconds(595), Instant.now().plusSeconds(606));
    }

    @Test
    void surroundingWhitespaceIsIgnored() throws InvalidTokenException {
        assertThat(tokens.verify("  " + tokens.issue("bob", Duration.ofMinutes(1), List.of(), List.of()) + "\n").uid())
                .isEqualTo("bob");
    }

    @Test
    void handMadeTokenWithOnlyRequiredClaimsHasNoGroups() throws InvalidTokenException {
        long exp = inOneHour();
        ClientClaims claims = tokens.verify(signed(HS256, "{\"sub\":\"carol\",\"exp\":" + exp + ",\"iat\":1,\"x\":{\"a\":[1,2]}}"));

        assertThat(claims.uid()).isEqualTo("carol");
        assertThat(claims.groups()).isEmpty();
        assertThat(claims.publish()).isEmpty();
        assertThat(claims.expiresAt()).isEqualTo(Instant.ofEpochSecond(exp).plusSeconds(5));
    }

    @Test
    void integerSubjectIsTheUidAsDigits() throws InvalidTokenException {
        assertThat(tokens.verify(signed(HS256, "{\"sub\":42,\"exp\":" + inOneHour() + "}")).uid()).isEqualTo("42");
    }

    @Test
    void fractionalExpiryIsAccepted() throws InvalidTokenException {
        long exp = inOneHour();
        assertThat(tokens.verify(signed(HS256, "{\"sub\":\"d\",\"exp\":" + exp + ".5}")).expiresAt())
                .isEqualTo(Instant.ofEpochSecond(exp).plusSeconds(5));
    }

    @Test
    void nullGroupsMeanNone() throws InvalidTokenException {
        assertThat(tokens.verify(signed(HS256, "{\"sub\":\"e\",\"exp\":" + inOneHour() + ",\"groups\":null}")).groups()).isEmpty();
    }

    @Test
    void expiryFarInTheFutureIsAccepted() throws InvalidTokenException {
        assertThat(tokens.verify(signed(HS256, "{\"sub\":\"f\",\"exp\":99999999999999999}")).expiresAt())
                .isAfter(Instant.parse("9999-01-01T00:00:00Z"));
    }

    /** One token, one spelling: padding, '+' or '/', or stray bits after the last byte are refused. */
    @Test
    void onlyCanonicalBase64urlIsAccepted() throws InvalidTokenException {
        String canonical = signed("{\"alg\":\"HS256\"}", "{\"sub\":\"pad\",\"exp\":" + inOneHour() + "}");
        assertThat(tokens.verify(canonical).uid()).isEqualTo("pad");
        String[] parts = canonical.split("\\.");

        String padded = parts[0] + "==." + parts[1] + "=";
        assertRefused(padded + "." + mac(padded) + "=", "malformed token");
        String lastChar = parts[2].substring(parts[2].length() - 1);
        // a 32-byte MAC is 43 characters: the last one carries 2 unused bits, which must be zero
        String strayBits = parts[2].substring(0, parts[2].length() - 1)
                + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".charAt(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(lastChar) | 1);
        assertThat(strayBits).isNotEqualTo(parts[2]);
        assertRefused(parts[0] + "." + parts[1] + "." + strayBits, "malformed token");
        String urlSafe = canonical;
        for (int i = 0; !urlSafe.contains("-") && !urlSafe.contains("_"); i++) { // a token whose spelling has them
            urlSafe = signed("{\"alg\":\"HS256\"}", "{\"sub\":\"p" + i + "\",\"exp\":" + inOneHour() + "}");
        }
        assertRefused(urlSafe.replace('-', '+').replace('_', '/'), "malformed token");
    }

    @Test
    void notBeforeIsHonouredWithTheClockSkewOfExpiry() throws InvalidTokenException {
        long now = Instant.now().getEpochSecond();
        assertRefused(signed(HS256, "{\"sub\":\"n\",\"exp\":" + inOneHour() + ",\"nbf\":" + (now + 60) + "}"),
                "token not valid yet (nbf)");
        assertThat(tokens.verify(signed(HS256, "{\"sub\":\"n\",\"exp\":" + inOneHour() + ",\"nbf\":" + (now + 2) + "}")).uid())
                .isEqualTo("n");
        assertThat(tokens.verify(signed(HS256, "{\"sub\":\"n\",\"exp\":" + inOneHour() + ",\"nbf\":" + (now - 60) + "}")).uid())
                .isEqualTo("n");
        assertRefused(signed(HS256, "{\"sub\":\"n\",\"exp\":" + inOneHour() + ",\"nbf\":\"soon\"}"),
                "token claim nbf must be a number of seconds since the epoch");
    }

    @Test
    void aTokenWithKidIsCheckedWithThatKeyOnly() throws InvalidTokenException {
        String newKey = "rotated-key-2-that-is-at-least-32-bytes!";
        HmacTokens rotating = new HmacTokens(SECRET, java.util.Map.of("k2", newKey), null, null);
        String claims = "{\"sub\":\"r\",\"exp\":" + inOneHour() + "}";

        assertThat(rotating.verify(signed(HS256, claims)).uid()).isEqualTo("r");
        assertThat(rotating.verify(signed("{\"alg\":\"HS256\",\"kid\":\"k2\"}", claims, newKey)).uid()).isEqualTo("r");
        // the default secret does not stand in for a named key, nor a named key for another
        assertThatExceptionOfType(InvalidTokenException.class)
                .isThrownBy(() -> rotating.verify(signed("{\"alg\":\"HS256\",\"kid\":\"k2\"}", claims, SECRET)))
                .withMessage("bad token signature");
        assertThatExceptionOfType(InvalidTokenException.class)
                .isThrownBy(() -> rotating.verify(signed("{\"alg\":\"HS256\",\"kid\":\"k3\"}", claims, newKey)))
                .withMessage("token names an unknown signing key (kid)");
        assertThatExceptionOfType(InvalidTokenException.class)
                .isThrownBy(() -> rotating.verify(signed(HS256, claims, newKey)))
                .withMessage("bad token signature");
        // after a token of one key, one of the other still gets its own key
        assertThat(rotating.verify(signed(HS256, claims)).uid()).isEqualTo("r");
    }

    @Test
    void issuerAndAudienceAreCheckedWhenConfigured() throws InvalidTokenException {
        HmacTokens strict = new HmacTokens(SECRET, java.util.Map.of(), "https://backend.example", "pushgate");
        String exp = ",\"exp\":" + inOneHour();

        assertThat(strict.verify(signed(HS256, "{\"sub\":\"a\",\"iss\":\"https://backend.example\",\"aud\":\"pushgate\"" + exp + "}")).uid())
                .isEqualTo("a");
        assertThat(strict.verify(signed(HS256, "{\"sub\":\"a\",\"iss\":\"https://backend.example\",\"aud\":[\"x\",\"pushgate\"]" + exp + "}")).uid())
                .isEqualTo("a");
        assertThatExceptionOfType(InvalidTokenException.class)
                .isThrownBy(() -> strict.verify(signed(HS256, "{\"sub\":\"a\",\"aud\":\"pushgate\"" + exp + "}")))
                .withMessage("token issuer (iss) is not the one this node takes");
        assertThatExceptionOfType(InvalidTokenException.class)
                .isThrownBy(() -> strict.verify(signed(HS256, "{\"sub\":\"a\",\"iss\":\"https://backend.example\",\"aud\":[\"x\"]" + exp + "}")))
                .withMessage("token audience (aud) does not name this node's");
        assertThatExceptionOfType(InvalidTokenException.class)
                .isThrownBy(() -> strict.verify(signed(HS256, "{\"sub\":\"a\",\"iss\":\"https://backend.example\"" + exp + "}")))
                .withMessage("token audience (aud) does not name this node's");
        // without the settings, neither claim is required
        assertThat(tokens.verify(signed(HS256, "{\"sub\":\"a\",\"iss\":\"other\",\"aud\":\"other\"" + exp + "}")).uid())
                .isEqualTo("a");
    }

    @Test
    void aHeaderOnceAcceptedDoesNotLetAnotherThrough() throws InvalidTokenException {
        String claims = "{\"sub\":\"t\",\"exp\":" + inOneHour() + "}";
        assertThat(tokens.verify(signed(HS256, claims)).uid()).isEqualTo("t");

        assertRefused(signed("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims), "token must be signed with HS256");
        String sameHeaderOtherSecret = new HmacTokens("another-secret-that-is-32-bytes-or-more!").issue("t", Duration.ofMinutes(1), List.of(), List.of());
        assertThat(tokens.verify(tokens.issue("t", Duration.ofMinutes(1), List.of(), List.of())).uid()).isEqualTo("t");
        assertRefused(sameHeaderOtherSecret, "bad token signature");
        assertThat(tokens.verify(signed(HS256, claims)).uid()).isEqualTo("t");
    }

    @Test
    void expiredTokenIsRefusedButTheClockSkewIsTolerated() throws InvalidTokenException {
        long now = Instant.now().getEpochSecond();
        assertRefused(signed(HS256, "{\"sub\":\"g\",\"exp\":" + (now - 60) + "}"), "token expired");
        assertThat(tokens.verify(signed(HS256, "{\"sub\":\"g\",\"exp\":" + (now - 1) + "}")).uid()).isEqualTo("g");
    }

    @Test
    void tokenSignedWithAnotherSecretIsRefused() {
        String token = new HmacTokens("another-secret-that-is-32-bytes-or-more!").issue("h", Duration.ofMinutes(1), List.of(), List.of());
        assertRefused(token, "bad token signature");
    }

    @Test
    void tamperedClaimsAreRefused() {
        String token = tokens.issue("mallory", Duration.ofMinutes(1), List.of(), List.of());
        String[] parts = token.split("\\.");
        String forged = b64(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("mallory", "admin"));
        assertRefused(parts[0] + "." + forged + "." + parts[2], "bad token signature");
    }

    @Test
    void missingSignatureIsRefused() {
        String token = tokens.issue("i", Duration.ofMinutes(1), List.of(), List.of());
        assertRefused(token.substring(0, token.lastIndexOf('.') + 1), "bad token signature");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"alg\":\"none\"}", "{\"alg\":\"HS512\"}", "{\"alg\":\"RS256\"}", "{\"typ\":\"JWT\"}", "{\"alg\":256}"})
    void anyAlgorithmButHs256IsRefusedEvenWhenTheMacMatches(String header) {
        assertRefused(signed(header, "{\"sub\":\"j\",\"exp\":" + inOneHour() + "}"), "token must be signed with HS256");
    }

    @Test
    void unsignedTokenIsRefused() {
        assertRefused(b64("{\"alg\":\"none\"}") + "." + b64("{\"sub\":\"k\",\"exp\":" + inOneHour() + "}") + ".",
                "token must be signed with HS256");
    }

    @Test
    void criticalHeaderExtensionIsRefused() {
        assertRefused(signed("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", "{\"sub\":\"l\",\"exp\":" + inOneHour() + "}"),
                "token header names critical extensions (crit), which this node does not support");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not-a-jwt", "a.b", "a.b.c.d", ".e30.", "e30.e30.e30.e30", "!!.e30.sig", "e30.!!.sig", "e30.e30.!!",
            "eyJhbGciOiJIUzI1NiJ9x.e30.e30", "eyJhbGciOiJIUzI1NiJ9===.e30.e30", "éé.e30.e30", "e+0.e30.e30", "e/0.e30.e30", "W10.e30.e30", "eyJhbGciOiJIUzI1NiJ9fQ.e30.e30"})
    void malformedTokenIsRefused(String token) {
        assertRefused(token, "malformed token");
    }

    @Test
    void duplicateHeaderNameIsRefused() {
        assertRefused(signed("{\"alg\":\"none\",\"alg\":\"HS256\"}", "{\"sub\":\"m\",\"exp\":" + inOneHour() + "}"), "malformed token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "\"x\"", "{\"sub\":\"n\"", "{\"sub\":\"n\",\"sub\":\"root\",\"exp\":EXP}", "{\"sub\":\"n\",\"exp\":EXP} {}",
            "{\"sub\":\"n\",\"exp\":EXP,\"groups\":\"room\"}", "{\"sub\":\"n\",\"exp\":EXP,\"groups\":[1]}",
            "{\"sub\":\"n\",\"exp\":EXP,\"publish\":[[\"a\"]]}", "{\"sub\":\"n\",\"exp\":EXP,\"publish\":{}}"})
    void malformedClaimsAreRefused(String claims) {
        assertRefused(signed(HS256, claims.replace("EXP", Long.toString(inOneHour()))),
                "token claims are malformed: groups and publish must be arrays of strings");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"exp\":EXP}", "{\"sub\":null,\"exp\":EXP}", "{\"sub\":\"\",\"exp\":EXP}", "{\"sub\":\"has space\",\"exp\":EXP}"})
    void missingOrInvalidSubjectIsRefused(String claims) {
        assertRefused(signed(HS256, claims.replace("EXP", Long.toString(inOneHour()))), "token needs a sub claim of 1-128 characters");
    }

    @Test
    void subjectOfAnotherTypeIsRefused() {
        assertRefused(signed(HS256, "{\"sub\":[\"o\"],\"exp\":" + inOneHour() + "}"), "token claim sub must be a string");
        assertRefused(signed(HS256, "{\"sub\":true,\"exp\":" + inOneHour() + "}"), "token claim sub must be a string");
    }

    @Test
    void missingOrNonNumericExpiryIsRefused() {
        assertRefused(signed(HS256, "{\"sub\":\"p\"}"), "token needs an exp claim");
        assertRefused(signed(HS256, "{\"sub\":\"p\",\"exp\":null}"), "token needs an exp claim");
        assertRefused(signed(HS256, "{\"sub\":\"p\",\"exp\":\"" + inOneHour() + "\"}"),
                "token claim exp must be a number of seconds since the epoch");
    }

    @Test
    void invalidGroupNameIsRefused() {
        assertRefused(signed(HS256, "{\"sub\":\"q\",\"exp\":" + inOneHour() + ",\"groups\":[\"ok\",\"not ok\"]}"),
                "token claim groups holds an invalid group name");
        assertRefused(signed(HS256, "{\"sub\":\"q\",\"exp\":" + inOneHour() + ",\"publish\":[\"\"]}"),
                "token claim publish holds an invalid group name");
    }

    @Test
    void aTokenOver8KiBIsRefusedForItsLengthEvenWhenWellSigned() throws InvalidTokenException {
        String padded = signed(HS256, "{\"sub\":\"big\",\"exp\":" + inOneHour() + ",\"pad\":\"" + "x".repeat(6000) + "\"}");
        assertThat(padded.length()).isLessThanOrEqualTo(8192);
        assertThat(tokens.verify(padded).uid()).isEqualTo("big");
        String over = signed(HS256, "{\"sub\":\"big\",\"exp\":" + inOneHour() + ",\"pad\":\"" + "x".repeat(6200) + "\"}");
        assertThat(over.length()).isGreaterThan(8192);
        assertRefused(over, "token is longer than 8192 characters");
        // a megabyte is refused by its length alone: not a valid base64 character is looked at
        assertRefused("\u0000".repeat(1 << 20), "token is longer than 8192 characters");
    }

    @Test
    void refusalNeverQuotesTheToken() {
        String token = signed(HS256, "{\"sub\":\"r\",\"exp\":1}");
        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> tokens.verify(token))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token.substring(0, 20)));
    }

    @Test
    void verifiesFromManyThreadsAtOnce() throws InterruptedException {
        String token = tokens.issue("s", Duration.ofMinutes(1), List.of("g"), List.of());
        String forged = new HmacTokens("another-secret-that-is-32-bytes-or-more!").issue("s", Duration.ofMinutes(1), List.of(), List.of());
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 2_000; i++) {
                    try {
                        assertThat(tokens.verify(token).uid()).isEqualTo("s");
                        assertRefused(forged, "bad token signature");
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void shortSecretIsRefusedAtStart() {
        assertThatIllegalArgumentException().isThrownBy(() -> new HmacTokens("too-short"))
                .withMessageContaining("at least 32 bytes");
    }

    private void assertRefused(String token, String reason) {
        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> tokens.verify(token)).withMessage(reason);
    }

    private static long inOneHour() {
        return Instant.now().plusSeconds(3600).getEpochSecond();
    }

    private static String signed(String header, String claims) {
        return signed(header, claims, SECRET);
    }

    private static String signed(String header, String claims, String secret) {
        String input = b64(header) + "." + b64(claims);
        return input + "." + mac(input, secret);
    }

    private static String mac(String signingInput) {
        return mac(signingInput, SECRET);
    }

    private static String mac(String signingInput, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
