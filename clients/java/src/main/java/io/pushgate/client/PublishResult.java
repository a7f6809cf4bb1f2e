package io.pushgate.client;

import java.util.List;

/**
 * The answer to one publish.
 *
 * @param id        the message id (clients resume from it)
 * @param sessions  the sessions the message was queued to now
 * @param online    of the uids listed in {@code to}, those with a session
 * @param offline   of the uids listed in {@code to}, those without one
 * @param duplicate true when this publish repeated an idempotency key already seen: it was not
 *                  delivered again and this is the first publish's answer
 */
public record PublishResult(String id, long sessions, List<String> online, List<String> offline, boolean duplicate) {
}
