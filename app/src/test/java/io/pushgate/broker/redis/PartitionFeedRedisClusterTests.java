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

/** The partitioned log's delivery on a three-master Redis Cluster: sharded pub/sub, partitions spread over the masters. */
class PartitionFeedRedisClusterTests extends PartitionFeedBehaviour {
    static RedisClusterServers redis;

    @BeforeAll
    static void start() {
        redis = RedisClusterServers.start();
    }

    @AfterAll
    static void stop() {
        Closer.closeAll(redis);
    }

    @Override
    LettuceConnectionFactory factory() {
        return new LettuceConnectionFactory(new RedisClusterConfiguration(List.of(redis.nodes().split(","))));
    }

    @Override
    void killPubSubConnections() {
        for (int port : redis.ports()) {
            redis.command(port, "CLIENT", "KILL", "TYPE", "pubsub");
        }
    }

    @Override
    void trim(int k) {
        for (int port : redis.ports()) { // only its master holds it; the others answer MOVED
            try {
                redis.command(port, "XTRIM", LAYOUT.keys(k).log(), "MAXLEN", "0");
            } catch (IllegalStateException moved) {
                assertThat(moved).hasMessageStartingWith("MOVED");
            }
        }
    }

    @Override
    String onMaster(String key, String... command) {
        for (int port : redis.ports()) {
            try {
                return redis.command(port, command);
            } catch (IllegalStateException moved) { // another master holds it
                assertThat(moved).hasMessageStartingWith("MOVED");
            }
        }
        throw new IllegalStateException("no master holds " + key);
    }

    @Test
    void thePartitionsSpreadOverTheMasters() {
        java.util.Set<String> slots = new java.util.HashSet<>();
        java.util.Set<Integer> masters = new java.util.HashSet<>();
        for (int k = 0; k < LAYOUT.count(); k++) {
            slots.add(redis.command(redis.ports().get(0), "CLUSTER", "KEYSLOT", LAYOUT.keys(k).log()));
        }
        try (Node a = new Node("a")) { // each partition's epoch now lives on the master of its slot
            for (int port : redis.ports()) {
                if (Long.parseLong(redis.command(port, "DBSIZE")) > 0) {
                    masters.add(port);
                }
            }
        }
        assertThat(slots).hasSize(LAYOUT.count());
        assertThat(masters).hasSizeGreaterThan(1);
    }
}
