package io.pushgate.broker.redis;

import java.time.Duration;

/** See {@code PushgateProperties.Redis}. */
public record RedisSettings(String prefix, Duration heartbeat, Duration nodeTimeout, Duration timeout, int logLength,
                            int maxPendingPublishes, Duration idempotencyWindow, int partitions) {

    /** The most partitions a cluster log may have; see {@code docs/partitioned-log.md} for choosing it. */
    public static final int MAX_PARTITIONS = 1024;

    public static final int DEFAULT_MAX_PENDING_PUBLISHES = 10_000;
    public static final Duration DEFAULT_IDEMPOTENCY_WINDOW = Duration.ofMinutes(10);

    public RedisSettings(String prefix, Duration heartbeat, Duration nodeTimeout, Duration timeout, int logLength) {
        this(prefix, heartbeat, nodeTimeout, timeout, logLength, DEFAULT_MAX_PENDING_PUBLISHES, DEFAULT_IDEMPOTENCY_WINDOW, 1);
    }

    public RedisSettings(String prefix, Duration heartbeat, Duration nodeTimeout, Duration timeout, int logLength,
                         int maxPendingPublishes, Duration idempotencyWindow) {
        this(prefix, heartbeat, nodeTimeout, timeout, logLength, maxPendingPublishes, idempotencyWindow, 1);
    }

    public RedisSettings {
        if (idempotencyWindow.isNegative() || idempotencyWindow.isZero()) {
            throw new IllegalArgumentException("pushgate.api.idempotency-window must be positive");
        }
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new IllegalArgumentException("pushgate.redis.partitions must be 1 to " + MAX_PARTITIONS + ", was " + partitions);
        }
        if (maxPendingPublishes < 1) {
            throw new IllegalArgumentException("pushgate.redis.max-pending-publishes must be at least 1, was " + maxPendingPublishes);
        }
        if (nodeTimeout.compareTo(heartbeat) <= 0) {
            throw new IllegalArgumentException("pushgate.redis.node-timeout must be longer than pushgate.redis.heartbeat");
        }
        if (logLength < 1) { // the log is the cluster's history in Redis: unbounded is not an option
            throw new IllegalArgumentException("pushgate.redis.log-length must be at least 1, was " + logLength);
        }
    }
}
