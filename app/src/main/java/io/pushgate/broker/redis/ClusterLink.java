package io.pushgate.broker.redis;

import io.pushgate.core.BrokerUnavailableException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Mono;

/**
 * The state of this node's link to the cluster, shared by the parts of the Redis broker: whether it is
 * in step with the log, whether its session changes are sent, and the epoch it holds. Fields are
 * volatile: the read loop, the heartbeats and request threads all read them.
 */
final class ClusterLink {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class); // one logger for the broker: operators tune it by that name

    final String self;
    /** Whether the log is being read and this node's sessions are stated in Redis. */
    volatile boolean synced;
    /** Whether session changes are sent; false from a failed append until the next restate. */
    volatile boolean sendingEvents;
    volatile boolean stopped;
    /** The cluster's history epoch, as this node last took it. */
    volatile String epoch;
    /**
     * The sequence number of the last log entry this node applied in {@link #epoch}; written before the
     * epoch when both change, so whoever reads the epoch first sees a position of that epoch. Redis's
     * sequence behind it means Redis went back in time (a replica that lagged was promoted), also when the
     * connection never dropped: the scripts refuse then, so the node resyncs instead of reusing numbers.
     */
    volatile long applied;
    /**
     * Run by the log reader each time it is back in step with Redis, before the node counts as synced: a
     * partitioned log takes its partitions' epochs then, so Redis having lost them is found before the
     * next publish, not by it.
     */
    volatile java.util.function.Supplier<Mono<Void>> onSync = Mono::empty;

    ClusterLink(String self, String epoch) {
        this.self = self;
        this.epoch = epoch;
    }

    /**
     * Redis failed: the node is out of step until it resyncs, and its session changes wait for the next
     * restate. Once per outage a warning; the retries that follow only at debug level.
     */
    Mono<Void> down(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (!stopped && synced) {
            log.warn("Redis is unreachable ({}); node {} serves its own sessions until it is back", cause.toString(), self);
        } else {
            log.debug("Redis is still unreachable: {}", cause.toString());
        }
        synced = false;
        sendingEvents = false;
        return Mono.empty();
    }

    /** @throws BrokerUnavailableException while the node is out of step: nothing was done */
    void requireSynced() {
        if (!synced) {
            throw new BrokerUnavailableException("Redis cannot be reached", null);
        }
    }
}
