package io.pushgate.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs requests to Pusher's HTTP API as its server SDKs do: the query {@code auth_key}, {@code auth_timestamp},
 * {@code auth_version=1.0}, {@code body_md5} (in that order, which is their sorted order), and
 * {@code auth_signature} = hex HMAC-SHA256(secret, {@code METHOD\nPATH\n<that query>}). Not thread safe: one
 * per publisher, whose requests are all made on one event loop.
 */
final class PusherSigner {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final String key;
    private final Mac mac;
    private final MessageDigest md5;

    PusherSigner(String key, String secret) {
        this.key = key;
        try {
            this.mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The signed query (without the {@code ?}) of a request with this method, path and body at {@code epochSeconds}. */
    String query(String method, String path, byte[] body, long epochSeconds) {
        String query = "auth_key=" + key + "&auth_timestamp=" + epochSeconds + "&auth_version=1.0&body_md5="
                + hex(md5.digest(body));
        String signature = hex(mac.doFinal((method + "\n" + path + "\n" + query).getBytes(StandardCharsets.UTF_8)));
        return query + "&auth_signature=" + signature;
    }

    static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[bytes[i] & 0xf];
        }
        return new String(out);
    }
}
