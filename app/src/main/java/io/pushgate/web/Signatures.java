package io.pushgate.web;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jspecify.annotations.Nullable;

/**
 * The signature pushgate puts on every request it sends a backend (backend events, the connect proxy,
 * RPC calls), so that the backend knows the request is pushgate's and recent:
 * <pre>X-Pushgate-Signature: t=&lt;epoch seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, t + "." + body)&gt;</pre>
 * with {@code pushgate.events.secret}. The body is the exact bytes sent. A backend checks it by computing
 * the same HMAC over the {@code t} it was given, comparing in constant time, and refusing a {@code t} too
 * far from its own clock (5 minutes is usual), which makes a replayed request useless after that.
 *
 * <p>{@link #verify} takes several {@code v1} entries ({@code t=…,v1=…,v1=…}), so a sender may sign with
 * an old and a new secret while they rotate. Thread-safe.
 */
public final class Signatures {

    /** The header carrying the signature. */
    public static final String HEADER = "X-Pushgate-Signature";
    /** How far from the receiver's clock a signature's {@code t} may be, by default. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private static final HexFormat HEX = HexFormat.of();

    private final SecretKeySpec key;

    /** @param secret the shared secret; its UTF-8 bytes are the HMAC key */
    public Signatures(String secret) {
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("a signing secret must not be empty");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** The header value for {@code body} sent now. */
    public String sign(byte[] body) {
        return sign(body, Instant.now());
    }

    /** The header value for {@code body} sent at {@code time} (whole seconds). */
    public String sign(byte[] body, Instant time) {
        long t = time.getEpochSecond();
        return "t=" + t + ",v1=" + HEX.formatHex(hmac(t, body));
    }

    /** Whether {@code header} signs {@code body} with this secret within {@link #DEFAULT_TOLERANCE} of now. */
    public boolean verify(@Nullable String header, byte[] body) {
        return verify(header, body, Instant.now(), DEFAULT_TOLERANCE);
    }

    /**
     * @param header    the {@value #HEADER} value received, or {@code null}
     * @param body      the exact body received
     * @param now       the receiver's clock
     * @param tolerance how far {@code t} may be from {@code now}, either way
     * @return whether one {@code v1} matches and {@code t} is within the tolerance
     */
    public boolean verify(@Nullable String header, byte[] body, Instant now, Duration tolerance) {
        if (header == null) {
            return false;
        }
        Long t = null;
        java.util.List<byte[]> signatures = new java.util.ArrayList<>();
        for (String part : header.split(",")) {
            String entry = part.trim();
            try {
                if (entry.startsWith("t=") && t == null) {
                    t = Long.parseLong(entry.substring(2));
                } else if (entry.startsWith("v1=")) {
                    signatures.add(HEX.parseHex(entry.substring(3)));
                }
            } catch (IllegalArgumentException e) {
                return false; // a bad number or hex: not a signature of ours
            }
        }
        if (t == null || signatures.isEmpty() || Math.abs(now.getEpochSecond() - t) > tolerance.toSeconds()) {
            return false;
        }
        byte[] expected = hmac(t, body);
        boolean match = false;
        for (byte[] signature : signatures) {
            match |= MessageDigest.isEqual(expected, signature);
        }
        return match;
    }

    /**
     * The lower-case hex HMAC-SHA256 of {@code body} alone, without a time: the form Pusher's webhooks carry
     * in {@code X-Pusher-Signature}, whose receivers check it against the raw body as it came.
     */
    public String hexOf(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HEX.formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private byte[] hmac(long t, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
