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
 * @param startedAt           when the node started (epoch ms), so its uptime stays right in a snapshot
 *                            another node read a heartbeat ago; 0 when unknown (a node of an older build)
 * @param heapUsedBytes       JVM heap in use when the snapshot was taken; 0 when unknown
 * @param heapMaxBytes        the most heap the JVM may use; 0 when unknown
 * @param accepting           false from the start of a drain (SIGTERM) on: the node refuses new sessions
 * @param brokerState         {@link #BROKER_MEMORY} alone; with a cluster broker {@link #BROKER_UP} or
 *                            {@link #BROKER_DEGRADED} (cut off from the cluster, or reading it again after
 *                            a gap); {@link #BROKER_UNKNOWN} from a node of an older build
 * @param brokerEntriesRead   cluster log entries of every kind (publishes, presence, memberships, kicks)
 *                            the broker handed this node since start, read live (not the history read at
 *                            start-up), whether or not any session here needed them; 0 alone and from a
 *                            node of an older build
 * @param brokerMessagesRead  the publishes among them: with one cluster log, every publish of the cluster
 *                            whichever node's sessions it reaches; compare {@code messagesOut}
 */
public record NodeStats(String node, int sessions, Map<String, Integer> sessionsByTransport, int uids,
                        int groups, long messagesIn, long messagesOut, double messagesInPerSecond,
                        double messagesOutPerSecond, long dropped,
                        long brokerLagMillis, long gapResets,
                        long startedAt, long heapUsedBytes, long heapMaxBytes, boolean accepting, String brokerState,
                        long brokerEntriesRead, long brokerMessagesRead) {

    public static final String BROKER_MEMORY = "memory";
    public static final String BROKER_UP = "up";
    public static final String BROKER_DEGRADED = "degraded";
    public static final String BROKER_UNKNOWN = "unknown";

    /** The counters of a node that reported nothing else (an older build): start, heap and broker unknown. */
    public NodeStats(String node, int sessions, Map<String, Integer> sessionsByTransport, int uids, int groups,
                     long messagesIn, long messagesOut, double messagesInPerSecond, double messagesOutPerSecond,
                     long dropped, long brokerLagMillis, long gapResets) {
        this(node, sessions, sessionsByTransport, uids, groups, messagesIn, messagesOut, messagesInPerSecond,
                messagesOutPerSecond, dropped, brokerLagMillis, gapResets, 0, 0, 0, true, BROKER_UNKNOWN);
    }

    /** The counters of a node that did not count what it read from the broker (an older build): 0. */
    public NodeStats(String node, int sessions, Map<String, Integer> sessionsByTransport, int uids, int groups,
                     long messagesIn, long messagesOut, double messagesInPerSecond, double messagesOutPerSecond,
                     long dropped, long brokerLagMillis, long gapResets, long startedAt, long heapUsedBytes,
                     long heapMaxBytes, boolean accepting, String brokerState) {
        this(node, sessions, sessionsByTransport, uids, groups, messagesIn, messagesOut, messagesInPerSecond,
                messagesOutPerSecond, dropped, brokerLagMillis, gapResets, startedAt, heapUsedBytes, heapMaxBytes,
                accepting, brokerState, 0, 0);
    }

    /** The same snapshot with the broker's view of itself, which only the broker knows. */
    public NodeStats withBrokerState(String state) {
        return new NodeStats(node, sessions, sessionsByTransport, uids, groups, messagesIn, messagesOut,
                messagesInPerSecond, messagesOutPerSecond, dropped, brokerLagMillis, gapResets, startedAt,
                heapUsedBytes, heapMaxBytes, accepting, state, brokerEntriesRead, brokerMessagesRead);
    }

    /** Whether the node takes sessions and reaches its cluster: what a load balancer's readiness asks. */
    public boolean healthy() {
        return accepting && !BROKER_DEGRADED.equals(brokerState);
    }
}
