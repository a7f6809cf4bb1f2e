package io.pushgate.broker.redis;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.pushgate.core.NodeStats;

import org.jspecify.annotations.Nullable;

/**
 * A node's counters as its heartbeat stores them in the {@code stats} hash, for every node's stats
 * answer: separated fields in a fixed order. Fields are only ever appended, and a decoder reads what an
 * older node left out as 0, so nodes of different builds read each other's stats.
 */
final class NodeStatsCodec {

    private NodeStatsCodec() {
    }

    static String encode(NodeStats s) {
        StringBuilder transports = new StringBuilder();
        s.sessionsByTransport().forEach((t, n) -> transports.append(transports.isEmpty() ? "" : ",").append(t).append('=').append(n));
        return LogEntry.fields(Integer.toString(s.sessions()), transports.toString(), Integer.toString(s.uids()),
                Integer.toString(s.groups()), Long.toString(s.messagesIn()), Long.toString(s.messagesOut()),
                Double.toString(s.messagesInPerSecond()), Double.toString(s.messagesOutPerSecond()),
                Long.toString(s.dropped()), Long.toString(s.brokerLagMillis()), Long.toString(s.gapResets()),
                Long.toString(s.startedAt()), Long.toString(s.heapUsedBytes()), Long.toString(s.heapMaxBytes()),
                s.accepting() ? "1" : "0", s.brokerState(), Long.toString(s.brokerEntriesRead()),
                Long.toString(s.brokerMessagesRead()));
    }

    /** @return the node's stats, or {@code null} when the text has fewer fields than any build writes */
    static @Nullable NodeStats decode(String node, String encoded) {
        List<String> f = LogEntry.split(encoded, LogEntry.FIELD);
        if (f.size() < 10) {
            return null;
        }
        Map<String, Integer> byTransport = new HashMap<>();
        for (String pair : LogEntry.split(f.get(1), ',')) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                byTransport.put(pair.substring(0, eq), Integer.parseInt(pair.substring(eq + 1)));
            }
        }
        // fields an older node did not write read as "unknown": 0, accepting, broker state unknown, nothing read
        return new NodeStats(node, Integer.parseInt(f.get(0)), byTransport, Integer.parseInt(f.get(2)),
                Integer.parseInt(f.get(3)), Long.parseLong(f.get(4)), Long.parseLong(f.get(5)),
                Double.parseDouble(f.get(6)), Double.parseDouble(f.get(7)), Long.parseLong(f.get(8)),
                Long.parseLong(f.get(9)), f.size() > 10 ? Long.parseLong(f.get(10)) : 0,
                f.size() > 11 ? Long.parseLong(f.get(11)) : 0, f.size() > 12 ? Long.parseLong(f.get(12)) : 0,
                f.size() > 13 ? Long.parseLong(f.get(13)) : 0, f.size() <= 14 || !"0".equals(f.get(14)),
                f.size() > 15 ? f.get(15) : NodeStats.BROKER_UNKNOWN,
                f.size() > 16 ? Long.parseLong(f.get(16)) : 0, f.size() > 17 ? Long.parseLong(f.get(17)) : 0);
    }
}
