package io.pushgate.core;

/** A client token was rejected. The message is safe to log and to show the client: it never holds the token. */
public class InvalidTokenException extends Exception {

    /**
     * Why, as a closed set small enough to label a metric with; the message has the detail.
     */
    public enum Reason {
        /** Not a compact JWS, over the size limit, a header or claim of the wrong type, or an unsupported algorithm. */
        MALFORMED,
        /** The signature does not match, or the token names a signing key (kid) this node does not have. */
        BAD_SIGNATURE,
        /** Its {@code exp} has passed. */
        EXPIRED,
        /** Well formed and signed, but a required claim is missing or {@code nbf}, {@code iss} or {@code aud} does not fit. */
        INVALID_CLAIMS,
        /** A valid token of a banned uid; not thrown by a verifier, counted when the node refuses the session. */
        BANNED,
        /** The connect proxy's backend refused the client (401, 403, 429); not thrown by a verifier. */
        BACKEND_REFUSED,
        /** The connect proxy's backend could not judge the client (502, 503); not thrown by a verifier. */
        BACKEND_UNAVAILABLE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;

    public InvalidTokenException(String message) {
        this(Reason.MALFORMED, message);
    }

    public InvalidTokenException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
