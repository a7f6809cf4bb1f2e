package io.pushgate.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which uids come online and go offline in a cluster, decided in the cluster log's order so every node
 * agrees on it: a uid is online from the presence entry that gives it its first session anywhere to the
 * one that takes its last. The node that wrote that entry tells the backend, so exactly one node does.
 *
 * <p>Sessions of a node that is gone (stopped, or reaped as dead) go with its {@code NodeGone} entry, told
 * by the node that wrote it (the reaper, for a dead node). A node that lost Redis and restates its sessions
 * writes a {@code NodeGone} of its own and then its sessions again: a uid it still holds a session of is
 * not told offline and online again for that.
 *
 * <p>Thread-safe: the log's entries and a snapshot's may come on different threads.
 */
final class PresenceEdges {

    /** A uid's first session anywhere, or its last: told by {@code teller}. */
    record Edge(boolean online, String uid, String clientId, String teller) {
    }

    private record Member(String uid, String node) {
    }

    private final Map<String, Member> clients = new HashMap<>();
    private final Map<String, Set<String>> uids = new HashMap<>();
    private final Map<String, Set<String>> nodes = new HashMap<>();
    /** Uids whose offline was held back while their node restates: their online is held back too. */
    private final Set<String> restating = new HashSet<>();

    /** @return the online edge, or {@code null} */
    synchronized @org.jspecify.annotations.Nullable Edge connected(String node, String clientId, String uid) {
        if (clients.containsKey(clientId)) {
            return null;
        }
        clients.put(clientId, new Member(uid, node));
        nodes.computeIfAbsent(node, k -> new HashSet<>()).add(clientId);
        Set<String> ids = uids.computeIfAbsent(uid, k -> new HashSet<>());
        ids.add(clientId);
        if (ids.size() != 1) {
            return null;
        }
        return restating.remove(uid) ? null : new Edge(true, uid, clientId, node);
    }

    /** @return the offline edge, or {@code null} */
    synchronized @org.jspecify.annotations.Nullable Edge disconnected(String clientId) {
        Member member = clients.remove(clientId);
        if (member == null) {
            return null;
        }
        Set<String> onNode = nodes.get(member.node());
        if (onNode != null) {
            onNode.remove(clientId);
            if (onNode.isEmpty()) {
                nodes.remove(member.node());
            }
        }
        Set<String> ids = uids.get(member.uid());
        ids.remove(clientId);
        if (!ids.isEmpty()) {
            return null;
        }
        uids.remove(member.uid());
        return new Edge(false, member.uid(), clientId, member.node());
    }

    /**
     * Every session of {@code node} is gone, as told by {@code teller}.
     *
     * @param stillHeld whether a uid still has a session on the teller itself: when a node writes its own
     *                  {@code NodeGone} to restate, those uids are held back rather than told offline
     */
    synchronized List<Edge> nodeGone(String node, String teller, java.util.function.Predicate<String> stillHeld) {
        Set<String> ids = nodes.get(node);
        if (ids == null) {
            return List.of();
        }
        List<Edge> edges = new ArrayList<>();
        for (String clientId : List.copyOf(ids)) {
            Edge edge = disconnected(clientId);
            if (edge == null) {
                continue;
            }
            if (node.equals(teller) && stillHeld.test(edge.uid())) {
                restating.add(edge.uid());
            } else {
                edges.add(new Edge(false, edge.uid(), edge.clientId(), teller));
            }
        }
        return edges;
    }

    /** Forgets {@code node}'s sessions and tells nothing: it went while presence was being loaded again. */
    synchronized void forget(String node) {
        Set<String> ids = nodes.get(node);
        if (ids != null) {
            for (String clientId : List.copyOf(ids)) {
                disconnected(clientId);
            }
        }
    }
}
