package io.pushgate.core;

/** A client token was rejected. The message is safe to log and to show the client: it never holds the token. */
public class InvalidTokenException extends Exception {

    public InvalidTokenException(String message) {
        super(message, null, false, false);
    }
}
