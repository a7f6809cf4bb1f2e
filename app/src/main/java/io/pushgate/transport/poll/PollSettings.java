package io.pushgate.transport.poll;

import java.time.Duration;

/**
 * @param hold  how long a poll waits for a message before answering empty
 * @param batch messages per answer at most
 * @param grace how long after a poll ends the poller still counts as connected
 */
public record PollSettings(Duration hold, int batch, Duration grace) {
}
