package io.pushgate.transport.pusher;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jspecify.annotations.Nullable;

/**
 * The one Pusher app a node serves ({@code pushgate.compat.pusher.app-id}, {@code key}, {@code secret}) and
 * the two signatures made with its secret: a channel authorisation ({@code key:hex(HMAC-SHA256(secret,
 * socket_id:channel[:channel_data]))}), which the backend's auth endpoint gives a page, and an HTTP API
 * request's {@code auth_signature}. Every comparison takes the same time whatever the input. Thread-safe.
 *
 * @param appId  the app id in the HTTP API's paths ({@code /apps/{app_id}/events})
 * @param key    the public key in pusher-js's URL ({@code /app/{key}}) and the API's {@code auth_key}
 * @param secret the secret the backend signs with; never sent
 */
public record PusherApp(String appId, String key, String secret) {

    private static final HexFormat HEX = HexFormat.of();

    public PusherApp {
        if (appId.isBlank() || key.isBlank() || secret.isBlank()) {
            throw new IllegalArgumentException("pushgate.compat.pusher needs app-id, key and secret");
        }
    }

    /** The lower-case hex HMAC-SHA256 of {@code text} with the secret. */
    public String sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HEX.formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Whether {@code given} is the signature of {@code text}, in constant time. */
    public boolean signed(String text, @Nullable String given) {
        return given != null && MessageDigest.isEqual(sign(text).getBytes(StandardCharsets.US_ASCII),
                given.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Whether {@code auth} authorises the socket on the channel: {@code key:signature} over
     * {@code socket_id:channel}, and {@code :channel_data} for a presence channel.
     */
    public boolean authorises(@Nullable String auth, String socketId, String channel, @Nullable String channelData) {
        if (auth == null) {
            return false;
        }
        int colon = auth.indexOf(':');
        if (colon < 0) {
            return false;
        }
        boolean keyMatches = MessageDigest.isEqual(key.getBytes(StandardCharsets.UTF_8),
                auth.substring(0, colon).getBytes(StandardCharsets.UTF_8));
        String text = socketId + ":" + channel + (channelData == null ? "" : ":" + channelData);
        return signed(text, auth.substring(colon + 1)) & keyMatches;
    }

    /** The lower-case hex MD5 of a request body, as {@code body_md5} carries it. */
    public static String md5(byte[] body) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("MD5").digest(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "PusherApp[" + appId + ", " + key + "]"; // never the secret
    }
}
