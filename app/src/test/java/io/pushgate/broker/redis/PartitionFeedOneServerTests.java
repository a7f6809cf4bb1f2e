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

/** The partitioned log's delivery on one redis-server. */
class PartitionFeedOneServerTests extends PartitionFeedBehaviour {
    static RedisServer redis;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        Closer.closeAll(redis);
    }

    @Override
    LettuceConnectionFactory factory() {
        return new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", redis.port()));
    }

    @Override
    void killPubSubConnections() {
        redis.command("CLIENT", "KILL", "TYPE", "pubsub");
    }

    @Override
    void trim(int k) {
        redis.command("XTRIM", LAYOUT.keys(k).log(), "MAXLEN", "0");
    }

    @Override
    String onMaster(String key, String... command) {
        return redis.command(command);
    }
}
