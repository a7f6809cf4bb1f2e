package io.pushgate.core;

import java.util.Map;

/**
 * A snapshot of one node's counters.
 *
 * @param sessionsByTransport open sessions per transport name
 * @param messagesIn          publishes accepted since start
 * @param messagesOut         frames queued to sessions since start (one per session reached)
 * @param dropped             sessions closed because their queue was full
 * @param brokerLagMillis     how late this node applied the latest publish from the cluster's broker; 0 alone
 * @param gapResets           times this node found it could not read cluster log entries it had missed
 *                            (trimmed while it was cut off from Redis, or lost with Redis's data) and sent
 *                            its sessions a reset; 0 alone
 */
public record NodeStats(String node, int sessions, Map<String, Integer> sessionsByTransport, int uids,
                        int groups, long messagesIn, long messagesOut, double messagesInPerSecond,
                        double messagesOutPerSecond, long dropped,
                        long brokerLagMillis, long gapResets) {
}
