package io.pushgate.core;

import java.time.Instant;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * What a verified client token grants one connection.
 *
 * @param uid       the user the session belongs to (the token's {@code sub})
 * @param groups    groups joined on connect and the only groups the client may join itself
 * @param publish   groups the client may publish to; empty means none
 * @param expiresAt when the session must be closed with {@link Disconnect#TOKEN_EXPIRED} unless refreshed
 * @param data      the session data it starts with (a JSON object's text, as the backend's connect proxy
 *                  answered it), or {@code null} for none; a token never carries any
 */
public record ClientClaims(String uid, Set<String> groups, Set<String> publish, Instant expiresAt, @Nullable String data) {

    public ClientClaims {
        groups = Set.copyOf(groups);
        publish = Set.copyOf(publish);
    }

    /** Claims without session data, as every token grants. */
    public ClientClaims(String uid, Set<String> groups, Set<String> publish, Instant expiresAt) {
        this(uid, groups, publish, expiresAt, null);
    }
}
