package io.pushgate.bench;

import java.util.List;

import io.netty.channel.Channel;

/**
 * One client session and what it received. The fields written on delivery belong to the channel's event
 * loop; the report reads them after the run.
 */
final class Session {

    final int index;
    final String uid;
    /** Index of this session's group among this process's groups, or -1. */
    final int group;
    final List<String> groups;
    final boolean churn;

    volatile Channel channel;
    volatile boolean welcomed;
    volatile boolean closingByUs;
    volatile int closeCode;

    /** Publish counters of the streams this session reads, when its welcome arrived. */
    long snapUid;
    long snapGroup;
    long snapAll;

    final SeqSet seen = new SeqSet();
    volatile long unique;

    Session(int index, String uid, int group, List<String> groups, boolean churn) {
        this.index = index;
        this.uid = uid;
        this.group = group;
        this.groups = groups;
        this.churn = churn;
    }
}
