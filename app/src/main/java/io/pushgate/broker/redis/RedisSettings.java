package io.pushgate.broker.redis;

import java.time.Duration;

/** See {@code PushgateProperties.Redis}. */
public record RedisSettings(String prefix, Duration heartbeat, Duration nodeTimeout, Duration timeout, int logLength) {

    public RedisSettings {
        if (nodeTimeout.compareTo(heartbeat) <= 0) {
            throw new IllegalArgumentException("pushgate.redis.node-timeout must be longer than pushgate.redis.heartbeat");
        }
        if (logLength < 1) { // the log is the cluster's history in Redis: unbounded is not an option
            throw new IllegalArgumentException("pushgate.redis.log-length must be at least 1, was " + logLength);
        }
    }
}
