package io.pushgate.web;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * The headers Spring Security's default header writers put on every answer, for the answers written
 * straight from the Netty pipeline, so that a client sees the same headers whichever path answered.
 */
public final class SecurityHeaders {

    private SecurityHeaders() {
    }

    /** Adds {@code X-Content-Type-Options}, {@code X-Frame-Options}, {@code X-XSS-Protection} and {@code Referrer-Policy}. */
    public static void addTo(HttpHeaders headers) {
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("X-Frame-Options", "DENY");
        headers.set("X-XSS-Protection", "0");
        headers.set("Referrer-Policy", "no-referrer");
    }
}
