package io.pushgate.core;

/**
 * The cluster's broker cannot be reached, so what was asked was not done; the node still serves its own
 * sessions. With {@link #outcomeUnknown()}, the node cannot tell: the request reached the broker but its
 * answer did not come back in time, so it may have been done (a publish may still be delivered).
 */
public class BrokerUnavailableException extends RuntimeException {

    private final boolean outcomeUnknown;

    public BrokerUnavailableException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public BrokerUnavailableException(String message, Throwable cause, boolean outcomeUnknown) {
        super(message, cause);
        this.outcomeUnknown = outcomeUnknown;
    }

    /** Whether what was asked may have been done after all: sent, but not answered in time. */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
