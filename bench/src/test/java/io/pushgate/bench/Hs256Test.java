package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/** The hand-rolled signer against the JOSE library the server verifies with, the way it verifies. */
class Hs256Test {

    private static final String SECRET = "bench-test-secret-that-is-32-bytes-or-more";

    @Test
    void serverVerifierAcceptsTheTokenAndReadsItsClaims() throws Exception {
        String token = new Hs256(SECRET).token("u42", 2_000_000_000L, List.of("g0", "room \"x\""));
        SignedJWT jwt = SignedJWT.parse(token);
        assertEquals(JWSAlgorithm.HS256, jwt.getHeader().getAlgorithm());
        assertTrue(jwt.verify(new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8))));
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertEquals("u42", claims.getSubject());
        assertEquals(2_000_000_000L, claims.getExpirationTime().getTime() / 1000);
        assertEquals(List.of("g0", "room \"x\""), claims.getStringListClaim("groups"));
    }

    @Test
    void anotherSecretDoesNotVerify() throws Exception {
        String token = new Hs256(SECRET).token("u1", 2_000_000_000L, List.of());
        SignedJWT jwt = SignedJWT.parse(token);
        assertFalse(jwt.verify(new MACVerifier("another-secret-that-is-32-bytes-or-more!".getBytes(StandardCharsets.UTF_8))));
        assertEquals(null, jwt.getJWTClaimsSet().getClaim("groups"));
    }

    @Test
    void refusesShortSecrets() {
        assertThrows(IllegalArgumentException.class, () -> new Hs256("too-short"));
    }
}
