package io.pushgate.security;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Names;
import io.pushgate.core.TokenVerifier;

/**
 * Verifies and issues HS256 client tokens with the claims of the contract: {@code sub} (uid,
 * required), {@code exp} (required), {@code groups} and {@code publish} (arrays of group names).
 *
 * <p>Only HS256 is accepted, whatever the token's header says, so an {@code alg: none} or a
 * key-confusion token is refused. The secret must be at least 32 bytes, as RFC 7518 requires.
 */
public final class HmacTokens implements TokenVerifier {

    /** Tolerated clock difference between the backend that signs and this node. */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(5);

    private final MACVerifier verifier;
    private final MACSigner signer;

    public HmacTokens(String secret) {
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < 32) {
            throw new IllegalArgumentException("pushgate.auth.jwt-secret must be at least 32 bytes (256 bits) for HS256");
        }
        try {
            this.verifier = new MACVerifier(key);
            this.signer = new MACSigner(key);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable pushgate.auth.jwt-secret: " + e.getMessage());
        }
    }

    @Override
    public ClientClaims verify(String token) throws InvalidTokenException {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token.trim());
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token");
        }
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            throw new InvalidTokenException("token must be signed with HS256");
        }
        try {
            if (!jwt.verify(verifier)) {
                throw new InvalidTokenException("bad token signature");
            }
        } catch (JOSEException e) {
            throw new InvalidTokenException("bad token signature");
        }
        try {
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            String uid = claims.getSubject();
            if (uid == null || !Names.isValid(uid)) {
                throw new InvalidTokenException("token needs a sub claim of 1-" + Names.MAX_LENGTH + " characters");
            }
            Date exp = claims.getExpirationTime();
            if (exp == null) {
                throw new InvalidTokenException("token needs an exp claim");
            }
            if (exp.toInstant().plus(CLOCK_SKEW).isBefore(Instant.now())) {
                throw new InvalidTokenException("token expired");
            }
            return new ClientClaims(uid, groups(claims, "groups"), groups(claims, "publish"), exp.toInstant().plus(CLOCK_SKEW));
        } catch (ParseException e) {
            throw new InvalidTokenException("token claims are malformed: groups and publish must be arrays of strings");
        }
    }

    private static Set<String> groups(JWTClaimsSet claims, String name) throws ParseException, InvalidTokenException {
        List<String> list = claims.getStringListClaim(name);
        if (list == null) {
            return Set.of();
        }
        Set<String> groups = new HashSet<>();
        for (String group : list) {
            if (group == null || !Names.isValid(group)) {
                throw new InvalidTokenException("token claim " + name + " holds an invalid group name");
            }
            groups.add(group);
        }
        return groups;
    }

    /** Signs a token; used for the development sample printed at start-up and by tests. */
    public String issue(String uid, Duration lifetime, List<String> groups, List<String> publish) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(uid)
                .issueTime(new Date())
                .expirationTime(Date.from(Instant.now().plus(lifetime)))
                .claim("groups", groups)
                .claim("publish", publish)
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing failed", e);
        }
        return jwt.serialize();
    }
}
