/**
 * The Redis broker ({@code pushgate.broker=redis}): many nodes serve one cluster.
 *
 * <p>Layout: one Redis stream, the log, that every node reads in order. A publish is one script
 * call that takes the next number of one cluster-wide sequence and appends the message under it;
 * presence changes, membership changes and kicks travel in the same log. Every node reads every
 * entry, delivers messages to its own sessions, keeps the same history, and keeps a {@code Roster}
 * of every session in the cluster. See {@link io.pushgate.broker.redis.RedisBroker} for why.
 */
@NullMarked
package io.pushgate.broker.redis;

import org.jspecify.annotations.NullMarked;
