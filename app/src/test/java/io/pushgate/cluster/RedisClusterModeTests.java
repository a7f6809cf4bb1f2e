package io.pushgate.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import io.pushgate.support.ClusterNode;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisClusterServers;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on a three-master Redis Cluster ({@code spring.data.redis.cluster.nodes}): every pushgate key
 * is under one hash tag, so the log, the scripts and the presence hashes all live in one slot, and the
 * nodes behave as one server.
 */
class RedisClusterModeTests extends RedisTopologyBehaviour {

    static RedisClusterServers redis;
    static ClusterNode a;
    static ClusterNode b;

    @BeforeAll
    static void startCluster() {
        redis = RedisClusterServers.start();
        a = ClusterNode.start("ca", "spring.data.redis.cluster.nodes=" + redis.nodes());
        b = ClusterNode.start("cb", "spring.data.redis.cluster.nodes=" + redis.nodes());
        awaitJoined(a, b);
    }

    @AfterAll
    static void stopCluster() {
        Closer.closeAll(b, a, redis);
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
    void everyKeyOfTheClusterIsInTheSlotOfItsHashTagAndPartitionsSpreadOverMasters() {
        // the control log's hash tag, and each partition's own on a partitioned log
        Set<String> slots = new HashSet<>();
        slots.add(redis.command(redis.ports().get(0), "CLUSTER", "KEYSLOT", "{pushgate}:log"));
        for (int k = 0; k < ClusterNode.PARTITIONS && ClusterNode.PARTITIONS > 1; k++) {
            slots.add(redis.command(redis.ports().get(0), "CLUSTER", "KEYSLOT", "{pushgate:" + k + "}:log"));
        }
        Set<Integer> holders = new HashSet<>();
        long keys = 0;
        for (int port : redis.ports()) {
            long inSlots = 0;
            for (String slot : slots) {
                inSlots += Long.parseLong(redis.command(port, "CLUSTER", "COUNTKEYSINSLOT", slot));
            }
            long all = Long.parseLong(redis.command(port, "DBSIZE"));
            assertThat(all).as("node %d holds nothing outside slots %s", port, slots).isEqualTo(inSlots);
            if (inSlots > 0) {
                holders.add(port);
            }
            keys += all;
        }
        assertThat(holders).as("masters holding keys").hasSize(ClusterNode.PARTITIONS == 1 ? 1 : Math.min(3, holders.size()));
        if (ClusterNode.PARTITIONS > 1) {
            assertThat(holders).as("the partitions spread over the masters").hasSizeGreaterThan(1);
        }
        assertThat(keys).as("epoch, seq, log, nodes, stats, session hashes").isGreaterThanOrEqualTo(5);
    }
}
