package io.pushgate.events;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code X-Pushgate-Signature} header on everything pushgate sends the backend (event batches, rpc
 * calls, connect-proxy calls): {@code t=<epoch seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>}, as
 * Stripe signs its webhooks. The time is inside the MAC, so a backend that refuses an old {@code t} refuses
 * a replayed request; a retry is signed afresh.
 */
public final class Signatures {

    public static final String HEADER = "X-Pushgate-Signature";

    private final SecretKeySpec key;

    public Signatures(String secret) {
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("the events secret must not be empty");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** The header's value for this body, sent at {@code epochSeconds}. */
    public String sign(long epochSeconds, byte[] body) {
        return "t=" + epochSeconds + ",v1=" + HexFormat.of().formatHex(mac(epochSeconds, body));
    }

    /**
     * Whether the header signs this body, with a {@code t} within {@code toleranceSeconds} of {@code nowSeconds};
     * any of several {@code v1} entries may match (a sender between two secrets sends both).
     */
    public boolean verify(String header, byte[] body, long nowSeconds, long toleranceSeconds) {
        Long t = null;
        for (String part : header.split(",")) {
            String item = part.trim();
            if (item.startsWith("t=")) {
                try {
                    t = Long.parseLong(item.substring(2));
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        if (t == null || Math.abs(nowSeconds - t) > toleranceSeconds) {
            return false;
        }
        byte[] expected = mac(t, body);
        for (String part : header.split(",")) {
            String item = part.trim();
            if (item.startsWith("v1=")) {
                try {
                    if (MessageDigest.isEqual(expected, HexFormat.of().parseHex(item.substring(3)))) {
                        return true;
                    }
                } catch (IllegalArgumentException e) {
                    // not hex: no match
                }
            }
        }
        return false;
    }

    private byte[] mac(long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
