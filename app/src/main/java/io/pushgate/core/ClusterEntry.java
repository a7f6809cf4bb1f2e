package io.pushgate.core;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * One entry of the cluster log, as the core understands it: what happened somewhere in the cluster,
 * or what a node is asked to do. A cluster broker reads the log in order and hands every entry to
 * {@link BrokerRole#apply}; how entries are stored and numbered is the broker's business.
 *
 * <p>Entries name the node they come from ({@code node} or {@code origin}). The node that made a
 * change applied it when it made it, so an entry's own origin skips it; entries addressed to the node
 * holding a client ({@link KickClient}, {@link JoinClient}, {@link LeaveClient}) are applied by that
 * node only. Every entry may be applied again (a broker replaying after a reconnect, a restate that
 * repeats what the log said): each is idempotent.
 */
public sealed interface ClusterEntry {

    /**
     * A session as the other nodes know it: plain names, no connection.
     *
     * @param groups its groups; kept in the given order, which is the order they travel in
     */
    record SessionState(String clientId, String uid, Set<String> groups, @Nullable String data) {
        public SessionState {
            groups = ordered(groups);
        }

        /** A session without session data. */
        public SessionState(String clientId, String uid, Set<String> groups) {
            this(clientId, uid, groups, null);
        }
    }

    /**
     * A publish the log sequenced. Every node records it in its history under {@code seq} and delivers it
     * to its own sessions the publication targets, in log order, at most once: a number already applied
     * is ignored.
     *
     * @param seq     its number in the log's one sequence; 0 while it is on its way to the log
     * @param ts      when it was accepted, epoch ms
     * @param holdFor uids that had no session anywhere when it was published: with a ttl, every node holds
     *                the message for them
     */
    record Message(long seq, long ts, Publication publication, List<String> holdFor) implements ClusterEntry {
        public Message {
            holdFor = List.copyOf(holdFor);
        }
    }

    /** A session opened on {@code node}: the other nodes' presence knows it from now on. */
    record Connected(String node, SessionState session) implements ClusterEntry {
    }

    /** A session closed on {@code node}: the other nodes' presence forgets it. */
    record Disconnected(String node, String clientId) implements ClusterEntry {
    }

    /** A session on {@code node} joined a group; {@code session} holds its groups after the join. */
    record Joined(String node, String group, SessionState session) implements ClusterEntry {
    }

    /** A session on {@code node} left a group; {@code session} holds its groups after the leave. */
    record Left(String node, String group, SessionState session) implements ClusterEntry {
    }

    /**
     * Every session of {@code node} is gone from presence: the node stopped, or was reaped when its lease
     * ran out.
     *
     * @param teller the node that wrote it: {@code node} itself, or the node that reaped it
     */
    record NodeGone(String node, String teller) implements ClusterEntry {

        /** A node's own goodbye. */
        public NodeGone(String node) {
            this(node, node);
        }
    }

    /**
     * {@code node} states its sessions afresh after a gap: the next {@code sessions} sessions of its
     * {@link Restated} entries are all it holds, and a session known on it that is not among them is gone.
     * Unlike a {@link NodeGone} followed by the sessions again, a session that is still there never seems to
     * leave and come back: watchers of the roster hear only what changed during the gap.
     */
    record Restating(String node, int sessions) implements ClusterEntry {
    }

    /** Part of what {@code node} restates after its {@link Restating}: these sessions are there. */
    record Restated(String node, List<SessionState> sessions) implements ClusterEntry {
        public Restated {
            sessions = List.copyOf(sessions);
        }
    }

    /**
     * The backend put {@code uid} in {@code group}: on every node the uid's sessions join it, now and when
     * they connect later. The origin checked the membership caps; no other node refuses it.
     *
     * @param groupsOfUid every group the uid is in after the change
     */
    record UidJoined(String origin, String uid, String group, Set<String> groupsOfUid) implements ClusterEntry {
        public UidJoined {
            groupsOfUid = ordered(groupsOfUid);
        }
    }

    /** The backend took {@code uid} out of {@code group}: on every node the uid's sessions leave it. */
    record UidLeft(String origin, String uid, String group, Set<String> groupsOfUid) implements ClusterEntry {
        public UidLeft {
            groupsOfUid = ordered(groupsOfUid);
        }
    }

    /**
     * A {@link UidJoined} the cluster refused because a membership cap was reached between nodes: no node
     * applies it (its origin undid it already). It stays in the log so the sequence has no gap.
     */
    record UidJoinRefused(String origin, String uid, String group, Set<String> groupsOfUid) implements ClusterEntry {
        public UidJoinRefused {
            groupsOfUid = ordered(groupsOfUid);
        }
    }

    /** Every session of {@code uid} is closed with {@link Disconnect#KICKED}, on every node. */
    record UidKicked(String origin, String uid) implements ClusterEntry {
    }

    /** {@code uid} is refused new sessions on every node until {@code untilMillis} (epoch ms); a later ban only extends it. */
    record UidBanned(String uid, long untilMillis) implements ClusterEntry {
    }

    /** To {@code node}, which holds the client: close it with {@link Disconnect#KICKED}. */
    record KickClient(String node, String clientId) implements ClusterEntry {
    }

    /** To {@code node}, which holds the client: put it in the group, within its group limit. */
    record JoinClient(String node, String clientId, String group) implements ClusterEntry {
    }

    /** To {@code node}, which holds the client: take it out of the group. */
    record LeaveClient(String node, String clientId, String group) implements ClusterEntry {
    }

    /**
     * Messages held for {@code uid} while it was offline were delivered on {@code origin}, up to
     * {@code upToSeq}: every other node drops its copies, so they are delivered once.
     */
    record HeldDelivered(String origin, String uid, long upToSeq) implements ClusterEntry {
    }

    /**
     * The session data of a session on {@code node} changed; {@code session} holds it (and its groups)
     * afterwards. Only the node holding the session writes it, so every node sees its changes in its order.
     */
    record SessionData(String node, SessionState session) implements ClusterEntry {
    }

    /**
     * To {@code node}, which holds the client: replace its session data with {@code data} (a JSON object's
     * text, {@code null} for none). That node applies it and tells everyone with a {@link SessionData}.
     */
    record SetSessionData(String origin, String node, String clientId, @Nullable String data) implements ClusterEntry {
    }

    private static Set<String> ordered(Collection<String> items) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(items));
    }
}
