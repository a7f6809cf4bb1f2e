package io.pushgate.broker.redis;

/**
 * The cluster's Redis keys. All share one hash tag, so in Redis Cluster they live in one slot and the
 * scripts may touch keys they compute from the prefix.
 */
record RedisKeys(String prefix, String epoch, String seq, String log, String nodes, String stats, String uidGroups,
                 String base, String bans, String partitions) {

    static RedisKeys of(String name) {
        String p = "{" + name + "}:";
        return new RedisKeys(p, p + "epoch", p + "seq", p + "log", p + "nodes", p + "stats", p + "uidgroups",
                p + "base", p + "bans", p + "partitions");
    }

    /** The hash of one node's sessions: client id to {@code uid FIELD groups}. */
    String sessions(String node) {
        return prefix + "s:" + node;
    }
}
