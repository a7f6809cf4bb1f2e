package io.pushgate.core;

import org.jspecify.annotations.Nullable;

/**
 * A client's join, leave, publish or send that {@link ClientActions} refused. The reason's {@link Reason#code()}
 * and the message are stable: transports hand them to the client in their own wire form. Carries no
 * stack trace, since a refusal is an answer, not a fault.
 */
public final class ClientRefusal extends Exception {

    public enum Reason {
        /** A group or event name that {@link Names} does not accept, or none where one is needed. */
        BAD_NAME("bad_frame"),
        /** The token's claims do not allow it. */
        FORBIDDEN("forbidden"),
        /** The session is in as many groups as {@link Limits#groupsPerSession()} allows. */
        TOO_MANY_GROUPS("too_many_groups"),
        /** A {@code send} with no backend to take it: {@code pushgate.events.url} is not set. */
        NO_BACKEND("no_backend");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;
    private final @Nullable String field;

    ClientRefusal(Reason reason, @Nullable String field, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.field = field;
    }

    public Reason reason() {
        return reason;
    }

    public String code() {
        return reason.code();
    }

    /** For {@link Reason#BAD_NAME}, the member that was wrong ({@code group} or {@code event}); else {@code null}. */
    public @Nullable String field() {
        return field;
    }
}
