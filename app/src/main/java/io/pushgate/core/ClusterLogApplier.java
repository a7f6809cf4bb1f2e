package io.pushgate.core;

import java.time.Clock;

/**
 * What each {@link ClusterEntry} does to this node: the one place that gives the cluster log its
 * meaning. Presence changes of other nodes go to the {@link Roster}; memberships, kicks and bans to
 * this node's sessions; messages to history and delivery through the node (its sequence lock and shards, docs/cores.md).
 *
 * <p>Entries from this node itself are skipped where the change was applied when it was made, so an
 * entry is applied exactly once here whether it came from this node or another.
 */
final class ClusterLogApplier {

    private final PushNode node;
    private final Hub hub;
    private final Roster roster;
    private final Clock clock;
    private final String self;
    /** Online and offline in log order; kept only while the backend wants to hear of them. */
    private final PresenceEdges edges = new PresenceEdges();
    /**
     * The cluster's group memberships in log order, this node's own changes included, for the watchers of
     * {@link #watchGroups}; {@code null} (and not kept) until one watches.
     */
    private volatile @org.jspecify.annotations.Nullable Roster inLogOrder;

    ClusterLogApplier(PushNode node, Hub hub, Roster roster, Clock clock) {
        this.node = node;
        this.hub = hub;
        this.roster = roster;
        this.clock = clock;
        this.self = node.nodeId();
    }

    /**
     * From now on {@code watcher} hears every change to groups' members as this node reads them from the
     * cluster log, its own included, with whether this node is the teller (see {@link GroupWatcher}): the
     * node whose session changed; for a {@code NodeGone}, the node that wrote it. A node restating its
     * sessions after losing Redis tells only what changed meanwhile: the sessions it still holds never left.
     */
    void watchGroups(GroupWatcher watcher) {
        Roster roster;
        synchronized (this) {
            roster = inLogOrder;
            if (roster == null) {
                roster = new Roster();
                inLogOrder = roster;
            }
        }
        roster.watch(watcher);
    }

    /** Applies an entry read live, as it comes; a message applied now also says how late it came. */
    void apply(ClusterEntry entry) {
        Roster ordered = inLogOrder;
        if (ordered != null) {
            applyInLogOrder(ordered, entry);
        }
        if (entry instanceof ClusterEntry.Message m) {
            if (applyMessage(m)) {
                node.noteBrokerLag(clock.millis() - m.ts());
            }
        } else if (entry instanceof ClusterEntry.Connected c) {
            if (!c.node().equals(self)) {
                connectRemote(c.node(), c.session());
            }
            if (node.wantsPresenceEdges()) {
                tell(edges.connected(c.node(), c.session().clientId(), c.session().uid()));
            }
        } else if (entry instanceof ClusterEntry.Disconnected d) {
            if (!d.node().equals(self)) {
                roster.disconnected(d.clientId());
            }
            if (node.wantsPresenceEdges()) {
                tell(edges.disconnected(d.clientId()));
            }
        } else if (entry instanceof ClusterEntry.Joined j) {
            if (!j.node().equals(self)) {
                roster.joined(j.session().clientId(), j.group());
            }
        } else if (entry instanceof ClusterEntry.Left l) {
            if (!l.node().equals(self)) {
                roster.left(l.session().clientId(), l.group());
            }
        } else if (entry instanceof ClusterEntry.NodeGone g) {
            if (!g.node().equals(self)) {
                roster.nodeGone(g.node());
            }
            if (node.wantsPresenceEdges()) {
                edges.nodeGone(g.node(), g.teller(), uid -> !hub.sessionsOf(uid).isEmpty()).forEach(this::tell);
            }
        } else if (entry instanceof ClusterEntry.Restating r) {
            if (!r.node().equals(self)) {
                roster.restating(r.node(), r.sessions());
            }
            if (node.wantsPresenceEdges()) {
                edges.nodeGone(r.node(), r.node(), uid -> !hub.sessionsOf(uid).isEmpty()).forEach(this::tell);
            }
        } else if (entry instanceof ClusterEntry.Restated r) {
            if (!r.node().equals(self)) {
                r.sessions().forEach(s -> roster.restated(s.clientId(), s.uid(), r.node(), s.groups(), s.data()));
            }
            if (node.wantsPresenceEdges()) {
                r.sessions().forEach(s -> tell(edges.connected(r.node(), s.clientId(), s.uid())));
            }
        } else if (entry instanceof ClusterEntry.UidJoined j) {
            if (!j.origin().equals(self)) {
                hub.joinUid(j.uid(), j.group()); // admitted by its origin and the log: no cap is checked again
            }
        } else if (entry instanceof ClusterEntry.UidLeft l) {
            if (!l.origin().equals(self)) {
                hub.leaveUid(l.uid(), l.group());
            }
        } else if (entry instanceof ClusterEntry.UidJoinRefused) {
            return; // its origin undid it; nobody else ever applied it
        } else if (entry instanceof ClusterEntry.UidKicked k) {
            if (!k.origin().equals(self)) {
                node.kickUid(k.uid());
            }
        } else if (entry instanceof ClusterEntry.UidBanned b) {
            node.ban(b.uid(), b.untilMillis()); // on its origin too: a ban only ever extends
        } else if (entry instanceof ClusterEntry.KickClient k) {
            if (k.node().equals(self)) {
                node.kickClient(k.clientId());
            }
        } else if (entry instanceof ClusterEntry.JoinClient j) {
            Session session = j.node().equals(self) ? hub.client(j.clientId()) : null;
            if (session != null) {
                hub.join(session, j.group());
            }
        } else if (entry instanceof ClusterEntry.LeaveClient l) {
            Session session = l.node().equals(self) ? hub.client(l.clientId()) : null;
            if (session != null) {
                hub.leave(session, l.group());
            }
        } else if (entry instanceof ClusterEntry.SessionData d) {
            if (!d.node().equals(self)) {
                roster.dataChanged(d.session().clientId(), d.session().data());
            }
        } else if (entry instanceof ClusterEntry.SetSessionData s) {
            if (s.node().equals(self)) {
                node.setLocalSessionData(s.clientId(), s.data()); // told to everyone again as a SessionData
            }
        } else if (entry instanceof ClusterEntry.HeldDelivered h) {
            if (!h.origin().equals(self)) {
                node.dropHeld(h.uid(), h.upToSeq());
            }
        } else {
            throw new IllegalArgumentException("no meaning for cluster entry " + entry);
        }
    }

    /**
     * Applies an entry read while the node catches up at start-up, before it joins: only what becomes its
     * history counts (messages, and held messages delivered elsewhere). Presence and memberships come from
     * the broker's snapshot instead, and a message this old says nothing about how late the log is.
     */
    void applyBackfilled(ClusterEntry entry) {
        if (entry instanceof ClusterEntry.Message m) {
            applyMessage(m);
        } else if (entry instanceof ClusterEntry.HeldDelivered) {
            apply(entry);
        }
    }

    /** @return whether it was applied now, not before */
    private boolean applyMessage(ClusterEntry.Message m) {
        return node.applySequenced(m.publication(), m.seq(), m.ts(), m.holdFor()) != null;
    }

    /** Forgets {@code node}'s sessions, telling nobody, as the roster does when it never restated. */
    void forgetNode(String node) {
        edges.forget(node);
        Roster ordered = inLogOrder;
        if (ordered != null) {
            ordered.applyAs(false, () -> ordered.nodeGone(node));
        }
    }

    /** Awaits the restate of nodes a reload did not find, as the roster does (quietly: not this node's to tell). */
    void awaitRestate(java.util.Set<String> nodes) {
        Roster ordered = inLogOrder;
        if (ordered != null) {
            ordered.applyAs(false, () -> nodes.forEach(n -> ordered.restating(n, Integer.MAX_VALUE)));
        }
    }

    /**
     * The entry's change to group memberships, told as this node's to tell when it is (see {@link #watchGroups}).
     * A restate tells only what changed while its node was out of touch, by that node: it is the one that knows.
     */
    private synchronized void applyInLogOrder(Roster ordered, ClusterEntry entry) {
        if (entry instanceof ClusterEntry.Connected c) {
            ClusterEntry.SessionState s = c.session();
            ordered.applyAs(c.node().equals(self), () -> ordered.connected(s.clientId(), s.uid(), c.node(), s.groups(), s.data()));
        } else if (entry instanceof ClusterEntry.Disconnected d) {
            ordered.applyAs(d.node().equals(self), () -> ordered.disconnected(d.clientId()));
        } else if (entry instanceof ClusterEntry.Joined j) {
            ordered.applyAs(j.node().equals(self), () -> ordered.joined(j.session().clientId(), j.group()));
        } else if (entry instanceof ClusterEntry.Left l) {
            ordered.applyAs(l.node().equals(self), () -> ordered.left(l.session().clientId(), l.group()));
        } else if (entry instanceof ClusterEntry.SessionData d) {
            ordered.applyAs(d.node().equals(self), () -> ordered.dataChanged(d.session().clientId(), d.session().data()));
        } else if (entry instanceof ClusterEntry.NodeGone g) {
            ordered.applyAs(g.teller().equals(self), () -> ordered.nodeGone(g.node()));
        } else if (entry instanceof ClusterEntry.Restating r) {
            ordered.applyAs(r.node().equals(self), () -> ordered.restating(r.node(), r.sessions()));
        } else if (entry instanceof ClusterEntry.Restated r) {
            ordered.applyAs(r.node().equals(self), () -> r.sessions().forEach(
                    s -> ordered.restated(s.clientId(), s.uid(), r.node(), s.groups(), s.data())));
        }
    }

    /** An edge this node wrote the entry of is told to the backend here; every other node keeps quiet. */
    private void tell(PresenceEdges.@org.jspecify.annotations.Nullable Edge edge) {
        if (edge != null && edge.teller().equals(self)) {
            node.presenceEdge(edge.online(), edge.uid(), edge.clientId());
        }
    }

    private void connectRemote(String owner, ClusterEntry.SessionState session) {
        roster.connected(session.clientId(), session.uid(), owner, session.groups(), session.data());
    }
}
