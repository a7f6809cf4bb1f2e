package io.pushgate.core;

/**
 * Changes to this node's sessions, told in the order the {@link Hub} makes them, while it holds its
 * monitor: a listener sees a session's connect before its joins and its disconnect last. Listeners
 * must not block; a cluster broker forwards them to the other nodes' rosters.
 */
public interface SessionEvents {

    SessionEvents NONE = new SessionEvents() {
    };

    /** The session is registered, already in {@code session.groups()}. */
    default void connected(Session session) {
    }

    default void disconnected(Session session) {
    }

    default void joined(Session session, String group) {
    }

    default void left(Session session, String group) {
    }

    /** The session's data was replaced; {@code session.data()} holds the new value. */
    default void dataChanged(Session session) {
    }

    /** Messages held for the uid while it was offline, up to {@code upToSeq}, were delivered here. */
    default void tookHeld(String uid, long upToSeq) {
    }
}
