package io.pushgate.core;

/**
 * Turns a client token into {@link ClientClaims}.
 *
 * <p>Implementations are pure CPU work (no I/O), so they may be called on an event loop.
 */
public interface TokenVerifier {

    /**
     * @throws InvalidTokenException when the token is malformed, wrongly signed, expired or lacks a
     *                               required claim; the message says which, and never contains the token
     */
    ClientClaims verify(String token) throws InvalidTokenException;

    /**
     * This verifier without counting its refusals (see {@link NodeMeters#counted}): for a first check
     * whose refusal is not final, because the request then goes on to a path that checks the token again.
     */
    default TokenVerifier uncounted() {
        return this;
    }
}
