package io.pushgate.broker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import io.pushgate.core.Limits;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisClusterServers;
import io.pushgate.support.RedisSentinel;
import io.pushgate.support.RedisServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** The partitioned log's delivery on a master behind a Sentinel. */
class PartitionFeedSentinelTests extends PartitionFeedOneServerTests {
    static RedisSentinel sentinel;

    @BeforeAll
    static void startSentinel() {
        sentinel = RedisSentinel.start(redis);
    }

    @AfterAll
    static void stopSentinel() {
        Closer.closeAll(sentinel);
    }

    @Override
    LettuceConnectionFactory factory() {
        RedisSentinelConfiguration config = new RedisSentinelConfiguration().master(RedisSentinel.MASTER);
        config.sentinel("127.0.0.1", sentinel.port());
        return new LettuceConnectionFactory(config);
    }
}
