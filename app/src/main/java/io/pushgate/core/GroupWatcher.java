package io.pushgate.core;

import org.jspecify.annotations.Nullable;

/**
 * Hears every change to which sessions of the whole cluster are in which group, with the session data each
 * had then, in the order this node's {@link Roster} applies them: this node's changes as they are made,
 * other nodes' in cluster log order. Every node applies the same changes in the same order, so a watcher
 * that derives something from them (who is "in" a group by some field of the session data) sees the same
 * transitions on every node, each once.
 *
 * <p>Called under the roster's monitor: it must be quick, never block, and never change presence itself.
 */
@FunctionalInterface
public interface GroupWatcher {

    /**
     * @param in   whether the session is in the group after the change; {@code true} also when a member's
     *             session data changed
     * @param data the session's data (a JSON object's text, {@code null} for none): its new data while it is
     *             in, its last data when it leaves or goes
     */
    void changed(String group, String clientId, boolean in, @Nullable String data);

    /**
     * The same change, and whether this node is its teller: the one node of the cluster that tells the
     * outside world of what the change made happen (a webhook), so that exactly one node does. A watcher
     * registered with {@code PushNode.watchGroupEdges} hears every change this way, in the cluster log's
     * order (every node the same), with {@code teller} true on exactly one node: the node whose own
     * session changed, or for the sessions of a node that is gone, the node that wrote its {@code NodeGone}
     * (the reaper of a dead node). A node alone is the teller of every change. A watcher that only tells
     * this node's own connections ignores it.
     *
     * @param teller whether this node tells what the change made happen
     */
    default void changed(String group, String clientId, boolean in, @Nullable String data, boolean teller) {
        changed(group, clientId, in, data);
    }
}
