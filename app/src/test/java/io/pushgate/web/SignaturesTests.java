package io.pushgate.web;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SignaturesTests {

    private static final byte[] BODY = "{\"token\":\"abc\"}".getBytes(StandardCharsets.UTF_8);
    private static final Instant T = Instant.ofEpochSecond(1_700_000_000L);
    private final Signatures signatures = new Signatures("whsec-test-secret-0123");

    /** The same header any HMAC library computes (this one: Python's hmac module). */
    @Test
    void signsTheTimeADotAndTheBodyAsTheContractSays() {
        assertThat(signatures.sign(BODY, T))
                .isEqualTo("t=1700000000,v1=144a5c8ccbc4ae428acb32b7bb74bde61e7804559430f9108eb80f3893e52a6c");
    }

    @Test
    void verifiesItsOwnSignatureWithinTheTolerance() {
        String header = signatures.sign(BODY, T);
        assertThat(signatures.verify(header, BODY, T.plusSeconds(299), Duration.ofMinutes(5))).isTrue();
        assertThat(signatures.verify(header, BODY, T.minusSeconds(299), Duration.ofMinutes(5))).isTrue();
        assertThat(signatures.verify(header, BODY, T.plusSeconds(301), Duration.ofMinutes(5))).isFalse();
        assertThat(signatures.verify(signatures.sign(BODY), BODY)).isTrue();
    }

    @Test
    void refusesAnotherBodySecretOrTimeAndGarbage() {
        String header = signatures.sign(BODY, T);
        Duration tolerance = Duration.ofMinutes(5);
        assertThat(signatures.verify(header, "{\"token\":\"abd\"}".getBytes(StandardCharsets.UTF_8), T, tolerance)).isFalse();
        assertThat(new Signatures("another-secret-0123456").verify(header, BODY, T, tolerance)).isFalse();
        assertThat(signatures.verify(header.replace("t=1700000000", "t=1700000001"), BODY, T, tolerance)).isFalse();
        assertThat(signatures.verify(null, BODY, T, tolerance)).isFalse();
        assertThat(signatures.verify("", BODY, T, tolerance)).isFalse();
        assertThat(signatures.verify("t=x,v1=00", BODY, T, tolerance)).isFalse();
        assertThat(signatures.verify("t=1700000000,v1=zz", BODY, T, tolerance)).isFalse();
        assertThat(signatures.verify("t=1700000000", BODY, T, tolerance)).isFalse();
    }

    /** While a secret rotates a sender may sign with both; one matching {@code v1} is enough. */
    @Test
    void takesAnyOfSeveralSignatures() {
        String theirs = new Signatures("old-secret-0123456789").sign(BODY, T);
        String ours = signatures.sign(BODY, T);
        String both = theirs + "," + ours.substring(ours.indexOf("v1="));
        assertThat(signatures.verify(both, BODY, T, Duration.ofMinutes(5))).isTrue();
    }
}
