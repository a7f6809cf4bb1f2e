package io.pushgate.web;

import java.time.Instant;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per action an operator may be asked about later, on the logger {@value #LOGGER}: who did
 * it, what, to whom, and the outcome; when is the line's own timestamp. Kicks and bans from the
 * backend API write one today; the admin page's actions are to write one the same way
 * ({@link #action}). Here, in the edge every adapter shares, so that any adapter may write one
 * without knowing another.
 *
 * <p>Who is a key's id ({@code io.pushgate.security.ApiKeys#id}), never a key or a token; the rest
 * are names the API already validated (no spaces or control characters), so a line cannot be forged
 * by what a caller sends. With structured logging the same values are key-value pairs of the event.
 */
public final class Audit {

    public static final String LOGGER = "io.pushgate.audit";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    private Audit() {
    }

    /**
     * Writes an audit line.
     *
     * @param who     the actor: {@code api-key:<id>} for the backend API, {@code admin-key:<id>} for the admin page
     * @param action  what was done, one word such as {@code kick-uid}, {@code kick-client}, {@code publish}
     * @param target  whom it was done to: {@code uid:42}, {@code client:abc}, {@code group:room}
     * @param detail  what else an operator needs to know (a ban's end, sessions closed), or {@code null}
     * @param outcome {@code ok}, or why it failed
     */
    public static void action(String who, String action, String target, @Nullable String detail, String outcome) {
        log.atInfo()
                .addKeyValue("pushgate.actor", who)
                .addKeyValue("pushgate.action", action)
                .addKeyValue("pushgate.target", target)
                .addKeyValue("pushgate.outcome", outcome)
                .log("{} {} {}{}{} outcome={}", who, action, target, detail == null ? "" : " ", detail == null ? "" : detail,
                        outcome);
    }

    /** The actor of a backend API request made with the key of this id; {@code api-key:-} when there was none. */
    public static String apiKey(@Nullable String keyId) {
        return "api-key:" + (keyId == null ? "-" : keyId);
    }

    /** The actor of an admin page action made with the admin key of this id. */
    public static String adminKey(String keyId) {
        return "admin-key:" + keyId;
    }

    /** The detail of a ban: when it ends, in UTC. */
    public static String banUntil(long untilEpochMillis) {
        return "ban-until=" + Instant.ofEpochMilli(untilEpochMillis);
    }
}
