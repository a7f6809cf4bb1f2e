package io.pushgate.core;

import org.jspecify.annotations.Nullable;

/**
 * A request to publish.
 *
 * @param target         who receives it
 * @param event          the event name
 * @param dataJson       the payload, as valid JSON text
 * @param ttlSeconds     how long the message should be kept for clients that are offline now; 0 keeps it
 *                       only for the history window
 * @param idempotencyKey the backend's name for this publish: a repeat within the idempotency window is
 *                       not delivered again and is answered with the first answer, marked duplicate
 */
public record Publication(Target target, String event, String dataJson, int ttlSeconds,
                          @Nullable String idempotencyKey) {

    public Publication(Target target, String event, String dataJson, int ttlSeconds) {
        this(target, event, dataJson, ttlSeconds, null);
    }
}
