package io.pushgate.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisSentinel;
import io.pushgate.support.RedisServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes that know Redis only through a Sentinel ({@code spring.data.redis.sentinel.*}, no host or
 * port): they find the master through it and behave as one server.
 */
class SentinelTests extends RedisTopologyBehaviour {

    static RedisServer master;
    static RedisSentinel sentinel;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        master = RedisServer.start();
        sentinel = RedisSentinel.start(master);
        a = ClusterNode.start("sa", throughSentinel());
        b = ClusterNode.start("sb", throughSentinel());
        awaitJoined(a, b);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, sentinel, master);
    }

    @Override
    ClusterNode a() {
        return a;
    }

    @Override
    ClusterNode b() {
        return b;
    }

    @Test
    void theLogIsInTheMasterTheSentinelNames() {
        assertThat(Long.parseLong(master.command("XLEN", "{pushgate}:log"))).isPositive();
        assertThat(master.command("ZRANGE", "{pushgate}:nodes", "0", "-1")).contains("sa", "sb");
    }

    private static String[] throughSentinel() {
        return new String[] {
                "spring.data.redis.sentinel.master=" + RedisSentinel.MASTER,
                "spring.data.redis.sentinel.nodes=" + sentinel.nodes(),
        };
    }
}
