package io.pushgate.core;

import java.time.Instant;
import java.util.Set;

/**
 * What a verified client token grants one connection.
 *
 * @param uid       the user the session belongs to (the token's {@code sub})
 * @param groups    groups joined on connect and the only groups the client may join itself
 * @param publish   groups the client may publish to; empty means none
 * @param expiresAt when the session must be closed with {@link Disconnect#TOKEN_EXPIRED} unless refreshed
 */
public record ClientClaims(String uid, Set<String> groups, Set<String> publish, Instant expiresAt) {

    public ClientClaims {
        groups = Set.copyOf(groups);
        publish = Set.copyOf(publish);
    }
}
