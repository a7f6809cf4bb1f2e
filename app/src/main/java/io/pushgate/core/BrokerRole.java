package io.pushgate.core;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link Broker} may do to its node: the node as a broker sees it. A broker carries the node's
 * changes to the rest of the cluster and brings the cluster's back; it never reaches into the node's
 * indexes, so what an entry of the cluster log means is said once, in the core ({@link #apply}).
 *
 * <p>{@link PushNode} implements it. All methods are thread-safe and never block on I/O.
 */
public interface BrokerRole {

    /** This node's sessions and the backend's uid memberships at one moment, for restating them. */
    record LocalState(List<ClusterEntry.SessionState> sessions, Map<String, Set<String>> uidGroups) {
    }

    String nodeId();

    Limits limits();

    /** The history epoch cursors handed out here carry now. */
    String epoch();

    NodeStats stats();

    // ---- joining the cluster and following its log -----------------------------------------------------

    /**
     * Makes this node part of a cluster: publishes reach it through {@link #apply}, and {@code events}
     * hears of every change to this node's sessions, in the order they happen.
     */
    void joinCluster(SessionEvents events);

    /** Takes the cluster's epoch and sequence position; see {@link PushNode#adopt}. */
    void adopt(String epoch, long seq, long completeAfter);

    /** Entries up to {@code completeAfter} will never be applied here; see {@link PushNode#lostEntries}. */
    void lostEntries(String epoch, long completeAfter);

    /** Each session is in its uid's partition from now on; see {@link PushNode#partitionSessions}. */
    void partitionSessions(int partitions, java.util.function.ToIntFunction<String> partitionOfUid, Prepared.Preparer preparer);

    /** This node's own sequence number now, for {@link Prepared#localMark}. */
    long localSeq();

    /** A partition lost entries: its sessions here are reset; see {@link PushNode#lostPartition}. */
    void lostPartition(int partition, Cursor now, boolean newEpoch);

    /** Applies one partition's copy of a publish; see {@link PushNode#applyPartitioned}. */
    String applyPartitioned(int partition, Cursor id, Publication publication, java.util.Collection<String> holdFor);

    /** Applies one entry of the cluster log, read in log order. */
    void apply(ClusterEntry entry);

    /** Applies a membership change read from a member's partition; see {@link PushNode#applyMembership}. */
    void applyMembership(ClusterEntry entry);

    /**
     * Applies one entry read at start-up, before the node joins: only what becomes history counts
     * (messages, held messages delivered elsewhere); presence comes from a snapshot instead.
     */
    void applyBackfilled(ClusterEntry entry);

    /**
     * Before presence is read again from a snapshot that holds the nodes {@code live}: the caller restates
     * each of those from the snapshot ({@link ClusterEntry.Restating}, then {@link ClusterEntry.Restated}),
     * so a session that stayed is never seen to leave and come back. Every other node this node knew keeps
     * its sessions until it restates itself (Redis lost its data, and it has not written it again yet) or
     * {@link #forgetNodeUnlessRestated} is called for it.
     *
     * @return the nodes known here that are not in {@code live}
     */
    java.util.Set<String> reloadingOtherNodes(java.util.Set<String> live);

    /** The nodes this node knows sessions of, itself among them when it has any. */
    java.util.Set<String> knownNodes();

    /**
     * Forgets {@code node}'s sessions, telling nobody, when it has not restated since
     * {@link #reloadingOtherNodes}: it did not come back within the time a live node would have.
     */
    void forgetNodeUnlessRestated(String node);

    /**
     * Runs {@code action} with this node's sessions and uid memberships while none of them can change, so
     * what the action queues is ordered with the {@link SessionEvents} before and after it.
     */
    void snapshot(Consumer<LocalState> action);

    // ---- presence of the whole cluster --------------------------------------------------------------

    /** Whether the uid has a session on any node. */
    boolean isOnline(String uid);

    /** Sessions of the whole cluster a publish to {@code target} reaches now, each counted once. */
    int reach(Target target);

    /** @return the client's session wherever it is, or {@code null} when it is connected nowhere */
    Roster.@Nullable Member clusterSession(String clientId);

    /** Client ids of the uid's sessions on every node, sorted. */
    List<String> clusterSessionsOf(String uid);

    // ---- what happens on this node ------------------------------------------------------------------

    /** Publishes on this node, which runs alone; see {@link PushNode#publish}. */
    PublishResult publish(Publication publication);

    /** Counts publishes this node accepted for the cluster, for stats. */
    void countPublished(int publishes);

    /** Closes this node's sessions of the uid with {@link Disconnect#KICKED}. @return how many */
    int kickUid(String uid);

    /** @return whether the client was connected here (and is now closed) */
    boolean kickClient(String clientId);

    /** Refuses the uid's new sessions here until {@code untilMillis}; see {@link PushNode#ban}. */
    void ban(String uid, long untilMillis);

    /** @return the outcome, or {@code null} when the client is not connected here */
    Hub.@Nullable Join joinLocalClient(String clientId, String group);

    /**
     * Replaces the session data of a client connected here ({@code data} a JSON object's text, {@code null}
     * for none). @return whether the client is connected here
     */
    boolean setLocalSessionData(String clientId, @Nullable String data);

    /** @return whether it was a member, or {@code null} when the client is not connected here */
    @Nullable Boolean leaveLocalClient(String clientId, String group);

    // ---- the backend's uid memberships, held by every node ------------------------------------------

    /** @throws MembershipLimitException when putting the uid in the group would pass a cap */
    void checkUidMembership(String uid, String group);

    /**
     * Puts the uid's sessions here in the group within the caps, as one step. @return sessions that joined
     *
     * @throws MembershipLimitException when a cap is reached; nothing changed
     */
    int joinUidWithinLimits(String uid, String group);

    /** Puts the uid's sessions here in the group, now and later, without checking caps. @return sessions that joined */
    int joinUid(String uid, String group);

    /** @return the uid's sessions here that left the group */
    int leaveUid(String uid, String group);

    Set<String> groupsOfUid(String uid);
}
