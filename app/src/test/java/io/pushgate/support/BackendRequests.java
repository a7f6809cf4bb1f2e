package io.pushgate.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpExchange;

import org.jspecify.annotations.Nullable;

/**
 * What the test backends ({@link TestBackend}, {@link ConnectBackend}) do with every request pushgate
 * sends them: read it, check its {@code X-Pushgate-Signature} with an HMAC computed here, independently
 * of pushgate's own code, and answer JSON.
 */
final class BackendRequests {

    private BackendRequests() {
    }

    static byte[] body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    /** Whether the header is {@code t=<s>,v1=<hex HMAC-SHA256(secret, t + "." + body)>} with t within 5 minutes. */
    static boolean signed(String secret, @Nullable String header, byte[] body) {
        if (header == null || !header.matches("t=\\d+,v1=[0-9a-f]{64}")) {
            return false;
        }
        String t = header.substring(2, header.indexOf(','));
        String v1 = header.substring(header.indexOf("v1=") + 3);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
            long skew = Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(t));
            return skew <= 300 && MessageDigest.isEqual(mac.doFinal(body), HexFormat.of().parseHex(v1));
        } catch (GeneralSecurityException | NumberFormatException e) {
            return false;
        }
    }

    /** The lower-case hex HMAC-SHA256 of {@code body} with {@code secret}, as Pusher signs webhooks and channel auths. */
    static String hexHmac(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
