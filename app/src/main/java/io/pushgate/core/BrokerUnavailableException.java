package io.pushgate.core;

/** The cluster's broker cannot be reached, so what was asked was not done; the node still serves its own sessions. */
public class BrokerUnavailableException extends RuntimeException {

    public BrokerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
