package io.pushgate.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pushgate.broker.redis.RedisBroker;
import io.pushgate.support.ClusterNode;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * {@link ClusterLogReadsTests} on a log of 4 partitions: nodes b and c, which hold no session of the uid,
 * read none of its pushes (issue 18's "does no per-message work for that uid's pushes").
 */
class PartitionedLogReadsTests extends ClusterLogReadsTests {

    @Override
    int partitions() {
        return 4;
    }

    @Override
    int readElsewhere() {
        return 0;
    }

    /** A node with another number of partitions would write uids' messages where no node reads them. */
    @Test
    void aNodeWithAnotherNumberOfPartitionsStaysOutOfTheCluster() {
        for (int other : new int[] {2, 1}) {
            try (ClusterNode odd = ClusterNode.start("odd" + other, redis, "pushgate.redis.partitions=" + other,
                    "pushgate.redis.timeout=300ms")) {
                JsonNode problem = odd.api().post("/api/v1/messages", ClusterTests.toUid("anyone", 1), 503);
                assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:cluster-degraded");
                assertThat(odd.bean(RedisBroker.class).healthy()).as("with %s partitions", other).isFalse();
            }
        }
        assertThat(redis.command("GET", "{pushgate}:partitions")).isEqualTo("4");
        assertThat(a.api().publish(ClusterTests.toUid("anyone", 2)).path("sessions").asInt()).isZero();
    }
}
