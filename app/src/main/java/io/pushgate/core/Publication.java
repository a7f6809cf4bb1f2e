package io.pushgate.core;

/**
 * A request to publish.
 *
 * @param target     who receives it
 * @param event      the event name
 * @param dataJson   the payload, as valid JSON text
 * @param ttlSeconds how long the message should be kept for clients that are offline now; 0 keeps it
 *                   only for the history window
 */
public record Publication(Target target, String event, String dataJson, int ttlSeconds) {
}
