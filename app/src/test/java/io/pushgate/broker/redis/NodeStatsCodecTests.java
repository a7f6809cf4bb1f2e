package io.pushgate.broker.redis;

import java.util.Map;

import io.pushgate.core.NodeStats;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Stats travel between nodes of different builds through the {@code stats} hash. */
class NodeStatsCodecTests {

    @Test
    void statsComeBackAsTheyWent() {
        NodeStats stats = new NodeStats("n1", 3, Map.of("ws", 2, "sse", 1), 2, 4, 10, 20, 1.5, 2.5, 1, 7, 2,
                1_700_000_000_000L, 64L << 20, 512L << 20, false, NodeStats.BROKER_DEGRADED, 40_123, 40_000);

        assertThat(NodeStatsCodec.decode("n1", NodeStatsCodec.encode(stats))).isEqualTo(stats);
    }

    @Test
    void anOlderNodesStatsWithoutBrokerReadsReadAsNothingRead() {
        String older = String.join(String.valueOf(LogEntry.FIELD), "3", "ws=3", "2", "4", "10", "20", "1.5", "2.5", "1", "7", "2",
                "1700000000000", "100", "200", "1", NodeStats.BROKER_UP);

        NodeStats read = NodeStatsCodec.decode("n0", older);

        assertThat(read).isEqualTo(new NodeStats("n0", 3, Map.of("ws", 3), 2, 4, 10, 20, 1.5, 2.5, 1, 7, 2,
                1_700_000_000_000L, 100, 200, true, NodeStats.BROKER_UP, 0, 0));
    }

    @Test
    void anOlderNodesStatsWithoutStartHeapOrBrokerStateReadAsUnknownAndAccepting() {
        String older = String.join(String.valueOf(LogEntry.FIELD), "3", "ws=3", "2", "4", "10", "20", "1.5", "2.5", "1", "7", "2");

        NodeStats read = NodeStatsCodec.decode("n0", older);

        assertThat(read).isEqualTo(new NodeStats("n0", 3, Map.of("ws", 3), 2, 4, 10, 20, 1.5, 2.5, 1, 7, 2,
                0, 0, 0, true, NodeStats.BROKER_UNKNOWN));
        assertThat(read.healthy()).as("an older node is judged by what it said: nothing against it").isTrue();
    }

    @Test
    void anOlderNodesStatsWithoutGapResetsReadAsNone() {
        String older = String.join(String.valueOf(LogEntry.FIELD), "3", "ws=3", "2", "4", "10", "20", "1.5", "2.5", "1", "7");

        NodeStats read = NodeStatsCodec.decode("n0", older);

        assertThat(read).isEqualTo(new NodeStats("n0", 3, Map.of("ws", 3), 2, 4, 10, 20, 1.5, 2.5, 1, 7, 0));
    }

    @Test
    void statsWithTooFewFieldsAreSkipped() {
        assertThat(NodeStatsCodec.decode("n0", "3" + LogEntry.FIELD + "ws=3")).isNull();
    }
}
