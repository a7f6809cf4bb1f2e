package io.pushgate.broker.redis;

import java.util.ArrayList;
import java.util.List;

import io.pushgate.core.BrokerRole;
import io.pushgate.core.ClusterEntry;
import io.pushgate.core.Cursor;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Target;

/**
 * A publication made ready for a log: its entry (kind and value), and the answer it gets once a log
 * numbers it. The answer counts what this node's roster knows now; a message with an idempotency key
 * carries that answer in its entry, for the append script to keep under the key.
 */
record PreparedPublish(String kind, String value, long ts, int sessions, List<String> online, List<String> offline) {

    static PreparedPublish of(Publication publication, BrokerRole node, LogCodec codec, long ts) {
        Target target = publication.target();
        List<String> online = new ArrayList<>();
        List<String> offline = new ArrayList<>();
        for (String uid : target.uids()) {
            (node.isOnline(uid) ? online : offline).add(uid);
        }
        int sessions = node.reach(target);
        List<String> holdFor = publication.ttlSeconds() > 0 && !target.all() ? offline : List.of();
        String message = codec.encode(new ClusterEntry.Message(0, ts, publication, holdFor)).value();
        String key = publication.idempotencyKey();
        if (key == null) {
            return new PreparedPublish(LogEntry.MESSAGE, message, ts, sessions, online, offline);
        }
        return new PreparedPublish(LogEntry.IDEMPOTENT_MESSAGE, LogEntry.fields(key, Long.toString(ts),
                Integer.toString(sessions), LogEntry.items(online), LogEntry.items(offline), message),
                ts, sessions, online, offline);
    }

    /** The answer once the log numbered the message {@code seq} in {@code epoch}. */
    PublishResult answer(String epoch, long seq) {
        return new PublishResult(new Cursor(epoch, seq, ts).text(), sessions, online, offline);
    }
}
