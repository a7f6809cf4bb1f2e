package io.pushgate.core;

/**
 * What a metrics adapter may read of its node: counters only, each a plain number read when the
 * meters are scraped, never a session or an index. Reads never block and take no lock a publish takes.
 */
public interface MetricsRole {

    /** The node's operational counters by transport, close code, source and reason. */
    NodeMeters meters();

    /** Publishes accepted by this node since start (alone: every publish; in a cluster: those it took in). */
    long publishedCount();

    /** Sessions closed because their queue was full (4408). */
    long slowClosedCount();

    /** Distinct uids with a session on this node now. */
    int localUidCount();

    /** How late this node applied the latest publish from the cluster's broker; 0 alone. */
    long brokerLagMillis();
}
