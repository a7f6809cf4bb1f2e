package io.pushgate.broker.redis;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Where the partitioned log puts things (see {@code docs/partitioned-log.md}): a uid's partition, each
 * partition's keys and its pub/sub channels. Partition {@code K} of the cluster named {@code pushgate}
 * has the hash tag {@code {pushgate:K}}, so Redis Cluster places each partition's keys and channels in
 * one slot of their own, and the partitions spread over the masters; one script call may touch all of
 * a partition's keys, and publish on its channels.
 *
 * @param name  the cluster's name ({@code pushgate.redis.prefix})
 * @param count how many partitions ({@code pushgate.redis.partitions}); 1 is the one log of today
 */
record PartitionLayout(String name, int count) {

    /** Enough for any cluster this design serves; each partition costs every node a little state. */
    static final int MAX = 1024;

    PartitionLayout {
        if (count < 1 || count > MAX) {
            throw new IllegalArgumentException("pushgate.redis.partitions must be between 1 and " + MAX
                    + ", was " + count);
        }
    }

    /** The uid's partition: every message any of its sessions can receive is written there. */
    int of(String uid) {
        if (count == 1) {
            return 0;
        }
        CRC32 crc = new CRC32(); // stable across nodes, versions and JVMs, unlike String.hashCode's contract
        crc.update(uid.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % count);
    }

    /** The partition's key prefix, {@code {name:K}:}; channels are named relative to it. */
    String prefix(int partition) {
        return "{" + name + ":" + partition + "}:";
    }

    /**
     * A partition's own keys, as {@link Scripts} take them: its epoch, sequence, the base of its epoch, its
     * log, and the sorted set of uids it holds messages for.
     */
    record Keys(String prefix, String epoch, String seq, String base, String log, String holders) {

        /** The list of entries held for an offline uid. */
        String held(String uid) {
            return prefix + "hold:" + uid;
        }
    }

    Keys keys(int partition) {
        String p = prefix(partition);
        return new Keys(p, p + "epoch", p + "seq", p + "base", p + "log", p + "holders");
    }

    /** The channel of the uid's messages and memberships, relative to its partition's prefix. */
    static String uidChannel(String uid) {
        return "u:" + uid;
    }

    /** The channel of a partition's group and broadcast copies, relative to its prefix. */
    static final String SHARED_CHANNEL = "shared";

    /** The partition a full channel name belongs to, or -1 when it is not one of this layout's. */
    int partitionOfChannel(String channel) {
        String open = "{" + name + ":";
        if (!channel.startsWith(open)) {
            return -1;
        }
        int close = channel.indexOf("}:", open.length());
        if (close < 0) {
            return -1;
        }
        try {
            int k = Integer.parseInt(channel, open.length(), close, 10);
            return k >= 0 && k < count ? k : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
