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

    /** Pusher: subscriptions sent and not yet answered; the session is welcomed when the last one succeeds. */
    int subscriptionsPending;

    final SeqSet seen = new SeqSet();
    volatile long unique;

    /*
     * Soak: the cursor to resume from (the latest of the welcome's, a message id, a ping's, a reset's),
     * the one this connection resumed from, and per stream (uid, group, all) the last message sequence
     * seen, which must rise. Written on the session's event loop; a session has one connection at a time.
     */
    volatile String cursor;
    volatile String resumedFrom;
    final long[] lastServerSeq = {-1, -1, -1};
    /** Soak: a resume was answered with a reset, so what it missed is not owed to it. */
    volatile boolean reset;
    /** Soak: stops reading now and then; connects with a small receive buffer. */
    volatile boolean slow;
    /** Soak: the sequence numbers of the messages held for this (ttl) session's uid before it connected. */
    long[] ttlOwed;

    Session(int index, String uid, int group, List<String> groups, boolean churn) {
        this.index = index;
        this.uid = uid;
        this.group = group;
        this.groups = groups;
        this.churn = churn;
    }
}
