package io.pushgate.client;

/**
 * A call pushgate refused or that did not reach it.
 *
 * <p>When the server answered, {@link #status()} is the HTTP status and {@link #type()} and
 * {@link #detail()} come from its {@code application/problem+json} body: {@code type} is a stable
 * {@code urn:pushgate:problem:<slug>} to branch on (for example
 * {@code urn:pushgate:problem:invalid-api-key} for a wrong key), {@code detail} says what was wrong.
 * When the server could not be reached (connection refused, timeout), {@link #status()} is
 * {@code 0}, {@link #type()} is {@link #CONNECTION_FAILED} and the cause is the I/O exception.
 *
 * <p>Unchecked, so that the synchronous calls read as one line and the same exception completes the
 * futures of the asynchronous ones.
 */
public class PushgateException extends RuntimeException {

    /** The {@link #type()} of a call that got no answer from the server. */
    public static final String CONNECTION_FAILED = "urn:pushgate:client:connection-failed";

    private final int status;
    private final String type;
    private final String detail;
    private final boolean outcomeUnknown;

    public PushgateException(int status, String type, String detail, boolean outcomeUnknown, Throwable cause) {
        super(status == 0 ? type + ": " + detail : status + " " + type + ": " + detail, cause);
        this.status = status;
        this.type = type;
        this.detail = detail;
        this.outcomeUnknown = outcomeUnknown;
    }

    /** The HTTP status, or {@code 0} when no answer came. */
    public int status() {
        return status;
    }

    /** The problem's {@code type}, e.g. {@code urn:pushgate:problem:invalid-api-key}. */
    public String type() {
        return type;
    }

    /** The problem's {@code detail}: what was wrong, in words. */
    public String detail() {
        return detail;
    }

    /** The slug of {@link #type()}: {@code invalid-api-key} for {@code urn:pushgate:problem:invalid-api-key}. */
    public String slug() {
        int colon = type.lastIndexOf(':');
        return colon < 0 ? type : type.substring(colon + 1);
    }

    /**
     * True when a publish may or may not have been delivered: the server answered 503 with
     * {@code "outcome":"unknown"}, or the request was sent but no answer came (a timeout, a reset; not a
     * refused connection, which sent nothing). Retry it with the same idempotency key;
     * without one it may be delivered twice.
     */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
