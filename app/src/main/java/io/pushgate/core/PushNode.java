package io.pushgate.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;


import org.jspecify.annotations.Nullable;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * The facade of one pushgate node: opens sessions, publishes, resumes, answers presence, changes
 * membership and kicks. Transports see it as a {@link TransportRole} (client joins and publishes go
 * through {@link ClientActions}), the API as an {@link ApiRole}.
 *
 * <p>Delivery guarantees on one node:
 * <ul>
 * <li>A publish is encoded once per stream it travels through (one per uid, group, client or
 * {@code all}); the same frame is recorded in that stream's history and queued to every matching
 * session, each session at most once per publish.
 * <li>Publishes are totally ordered: each takes the next sequence number under a short sequence lock
 * and is queued, in that order, on the queue of each shard of sessions it may reach (sessions are sharded
 * by uid). Each shard delivers its queue in order under its own lock, so every session sees messages
 * in sequence order and a message's id (its cursor) only ever grows. Encoding, history and delivery run
 * outside the sequence lock, on several threads at once; no lock is held for I/O.
 * <li>A connect, resume or poll takes its own shard's lock only, so it never waits for a delivery to
 * another shard; the replay and the live messages meet with no gap and no duplicate.
 * <li>A session whose queue is full is closed (4408); no publisher waits for it.
 * </ul>
 * The design, and why each guarantee holds: {@code docs/cores.md}.
 *
 * <p>Why one class of about 1,300 lines: everything that orders deliveries (publish, applying a
 * sequenced message, connect with its replay, resume, poll, heartbeats, adopting a log position, a gap's
 * reset, and the shards' deliveries) is here, so the ordering guarantees above can be checked in one
 * file. About 150 lines are the roles' one-line delegations to the hub, the roster and the bans. What
 * needs no ordering lives apart: the cluster log's meaning in {@link ClusterLogApplier}, client rules in
 * {@link ClientActions}, the
 * index in {@link Hub}, presence in {@link Roster}.
 */
public final class PushNode implements TransportRole, ApiRole, BrokerRole, MetricsRole, AutoCloseable {

    private final String nodeId;
    private final Hub hub;
    private final Limits limits;
    private final MessageEncoder encoder;
    private final History history;
    private final Clock clock;
    private final long startedAt;
    private final Runtime heap = Runtime.getRuntime();
    /**
     * The sequence lock, held for what must be in one order on the whole node, and only that: taking a
     * sequence number and a ticket and queueing the publication on its shards; reading a position; marking
     * a group present in a shard. Never for encoding, history or a delivery. With the position and the
     * ticket count it guards, each on a cache line of its own; see {@link Position}.
     */
    private final Position pos = new Position();
    private final Commits commits = new Commits();
    private final Shard[] shards;
    private final long allShards;
    /**
     * Each group with members here: the shards holding them, one bit each (and, for up to a second, shards
     * that lost their last member; see {@link #placed}). Guarded by the sequence lock ({@link #pos}).
     */
    private final Map<String, long[]> groupShards = new HashMap<>();
    /** Groups whose last member in a shard left since {@link #clearEmptyGroupMarks} last ran. Guarded by the hub's lock. */
    private final Set<String> maybeEmpty = new HashSet<>();
    private final AtomicLong clientSeq = new AtomicLong();
    private final Meter messagesIn = new Meter();
    private final Meter messagesOut = new Meter();
    private final Meter dropped = new Meter();
    private final NodeMeters meters = new NodeMeters();
    private final Object drained = new Object();
    private final Disposable sampler;
    private volatile boolean accepting = true;
    private final Roster roster = new Roster();
    private volatile SessionEvents cluster = SessionEvents.NONE;
    /** Each uid's partition on a partitioned cluster log, or {@code null}; see {@link #partitionSessions}. */
    private volatile java.util.function.@Nullable ToIntFunction<String> partitioning;
    /** Reads what a session of a partitioned log needs from Redis; set with {@link #partitioning}. */
    private volatile Prepared.@Nullable Preparer preparer;
    /**
     * On a partitioned log, per partition, the id of the last copy this node sequenced: where a session that
     * connects now stands. Guarded by the sequence lock; {@code null} on one log.
     */
    private volatile @Nullable Cursor @Nullable [] partitionApplied;

    /** In a cluster, cursors come from every node's view of one sequence; see {@link #read}. */
    private volatile boolean clustered;
    private volatile long brokerLagMillis;
    /** Times {@link #lostEntries} sent every session here a reset. */
    private volatile long gapResets;
    /**
     * Cluster entries the broker handed this node live ({@link #apply}), of every kind, and the messages
     * among them: what this node read of the cluster's traffic, whether or not any session here was a
     * target. Against {@link #messagesOut} it shows the work a node does for publishes it delivers to
     * nobody; a broker that hands each node only what its sessions need keeps them apart from zero only
     * for the addresses the node hosts. The entries read at start-up (history) are not counted.
     */
    private final AtomicLong brokerEntriesRead = new AtomicLong();
    private final AtomicLong brokerMessagesRead = new AtomicLong();
    private final Bans bans = new Bans(Bans.MAX_BANS);
    private final ClusterLogApplier clusterLog;
    private volatile BackendEvents backend = BackendEvents.NONE;
    private volatile BackendCalls calls = BackendCalls.NONE;
    /** Event ids: this node, when it started, then a count, so they stay unique when a node id comes back. */
    private final String eventIdPrefix;
    private final AtomicLong eventSeq = new AtomicLong();

    public PushNode(String nodeId, Limits limits, MessageEncoder encoder, History history, Clock clock) {
        this(nodeId, limits, encoder, history, clock, defaultShards());
    }

    /** Twice the processors, at least 4 and at most 64: enough that two busy threads rarely share a shard. */
    public static int defaultShards() {
        return Math.min(64, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    }

    /** @param shardCount how many shards the sessions are split into (1 to 64); see {@code docs/cores.md} */
    public PushNode(String nodeId, Limits limits, MessageEncoder encoder, History history, Clock clock, int shardCount) {
        this.nodeId = Names.require("node id", nodeId);
        this.limits = limits;
        if (shardCount < 1 || shardCount > 64) {
            throw new IllegalArgumentException("shards must be 1 to 64, was " + shardCount);
        }
        this.shards = new Shard[shardCount];
        for (int i = 0; i < shardCount; i++) {
            shards[i] = new Shard(i);
        }
        this.allShards = shardCount == 64 ? -1L : (1L << shardCount) - 1;
        this.hub = new Hub(limits, new SessionEvents() { // the roster first, so presence is current when the cluster hears of it
            @Override
            public void connected(Session session) {
                boolean first = !clustered && backend.wants(BackendEvent.Type.ONLINE) && !roster.isOnline(session.uid());
                roster.connected(session.clientId(), session.uid(), PushNode.this.nodeId, session.groups(), session.data());
                cluster.connected(session);
                tell(BackendEvent.Type.CONNECT, session, null, 0, null);
                if (first) {
                    tell(BackendEvent.Type.ONLINE, session, null, 0, null);
                }
            }

            @Override
            public void dataChanged(Session session) {
                roster.dataChanged(session.clientId(), session.data());
                cluster.dataChanged(session);
            }

            @Override
            public void disconnected(Session session) {
                roster.disconnected(session.clientId());
                cluster.disconnected(session);
                if (backend.wants(BackendEvent.Type.DISCONNECT)) {
                    Disconnect reason = session.endReason();
                    tell(BackendEvent.Type.DISCONNECT, session, null, reason == null ? BackendEvent.CLOSED_BY_CLIENT : reason.code(),
                            reason == null ? "closed by the client" : reason.reason());
                }
                if (!clustered && backend.wants(BackendEvent.Type.OFFLINE) && !roster.isOnline(session.uid())) {
                    tell(BackendEvent.Type.OFFLINE, session, null, 0, null);
                }
            }

            @Override
            public void joined(Session session, String group) {
                roster.joined(session.clientId(), group);
                cluster.joined(session, group);
                tell(BackendEvent.Type.JOIN, session, group, 0, null);
            }

            @Override
            public void left(Session session, String group) {
                roster.left(session.clientId(), group);
                cluster.left(session, group);
                tell(BackendEvent.Type.LEAVE, session, group, 0, null);
            }
        }, shardCount, this::placed);
        this.encoder = encoder;
        this.history = history;
        this.clock = clock;
        this.pos.lastTs = clock.millis();
        this.startedAt = clock.millis();
        this.clusterLog = new ClusterLogApplier(this, hub, roster, clock);
        this.eventIdPrefix = nodeId + "-" + Long.toString(clock.millis(), 36) + "-";
        // one failed tick must not end the sampler: an error would stop the interval for good
        this.sampler = Flux.interval(Duration.ofSeconds(1)).onBackpressureDrop().subscribe(tick -> {
            try {
                long now = System.nanoTime();
                messagesIn.tick(now);
                messagesOut.tick(now);
                closeExpired();
                clearEmptyGroupMarks();
                if (tick % 5 == 4) {
                    history.sweep();
                }
            } catch (RuntimeException e) {
                LoggerHolder.LOG.log(System.Logger.Level.ERROR, "The node's sampler failed one tick; it goes on", e);
            }
        });
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public Limits limits() {
        return limits;
    }

    /**
     * The hub's news that a shard has its first member of a group, or lost its last; under the hub's lock. A
     * mark is set at once (a publish sequenced after it must reach the new member) and cleared lazily, by
     * {@link #clearEmptyGroupMarks} once a second: until then a publish to the group visits a shard where it
     * finds no member, which costs that publish a look; clearing at once cost every disconnect (and every
     * leave) of a group's last member in its shard a turn at the sequence lock.
     */
    private void placed(String group, int shard, boolean present) {
        if (!present) {
            maybeEmpty.add(group);
            return;
        }
        pos.lock();
        try {
            long[] in = groupShards.get(group);
            if (in == null) {
                in = new long[1];
                groupShards.put(group, in);
            }
            in[0] |= 1L << shard;
        } finally {
            pos.unlock();
        }
    }

    /**
     * Clears the marks of shards that lost their last member of a group since the last time. Under the hub's
     * lock, so no session joins or connects meanwhile: a shard found empty stays empty until its mark is
     * cleared, and a member that comes after sets it again.
     */
    private void clearEmptyGroupMarks() {
        hub.whileUnchanged(() -> {
            for (String group : maybeEmpty) {
                long holding = 0;
                for (int k = 0; k < shards.length; k++) {
                    if (!hub.shardGroupView(k, group).isEmpty()) {
                        holding |= 1L << k;
                    }
                }
                pos.lock();
                try {
                    long[] in = groupShards.get(group);
                    if (in != null) {
                        in[0] &= holding;
                        if (in[0] == 0) {
                            groupShards.remove(group);
                        }
                    }
                } finally {
                    pos.unlock();
                }
            }
            maybeEmpty.clear();
        });
    }

    /** The shard of the uid's sessions; inside the core only (tests). */
    int shardOf(String uid) {
        return hub.shardOf(uid);
    }

    /** The node-local index; inside the core only (adapters see the node through its roles). */
    Hub hub() {
        return hub;
    }

    History history() {
        return history;
    }

    /** Every session of the cluster (of this node alone when it runs alone), for presence. */
    Roster roster() {
        return roster;
    }

    @Override
    public List<String> sessionsOfUid(String uid) {
        return roster.sessionsOf(uid);
    }

    @Override
    public List<String> onlineUids(@Nullable String after, int limit) {
        return roster.onlineUids(after, limit);
    }

    @Override
    public int onlineUidCount() {
        return roster.uidCount();
    }

    @Override
    public Map<String, String> groupMembers(String group) {
        return roster.members(group);
    }

    @Override
    public int groupMemberCount(String group) {
        return roster.memberCount(group);
    }

    @Override
    public List<String> groupNames(@Nullable String after, int limit) {
        return roster.groupNames(after, limit);
    }

    @Override
    public int groupCount() {
        return roster.groupCount();
    }

    @Override
    public List<SessionView> sessionViews(String uid) {
        List<SessionView> views = new ArrayList<>();
        for (String clientId : roster.sessionsOf(uid)) {
            Roster.Member member = roster.client(clientId);
            if (member == null) {
                continue; // gone since the list was read
            }
            Session here = hub.client(clientId);
            views.add(new SessionView(clientId, member.node(), new TreeSet<>(member.groups()),
                    here == null ? null : here.transportName(), here == null ? 0 : here.connectedAt()));
        }
        return views;
    }

    @Override
    public @Nullable String uidOfClient(String clientId) {
        Roster.Member member = roster.client(clientId);
        return member == null ? null : member.uid();
    }

    /** Sessions open on this node now. */
    public int sessionCount() {
        return hub.sessionCount();
    }

    @Override
    public String epoch() {
        return history.epoch();
    }

    // ---- as a broker sees the node (BrokerRole) ---------------------------------------------------------

    @Override
    public void apply(ClusterEntry entry) {
        try {
            clusterLog.apply(entry);
        } finally {
            // counted once applied, so that a reader who sees the count also sees the entry's deliveries
            // in messagesOut; an entry that could not be applied was read all the same
            brokerEntriesRead.incrementAndGet();
            if (entry instanceof ClusterEntry.Message) {
                brokerMessagesRead.incrementAndGet();
            }
        }
    }

    /**
     * A membership change (a backend's uid or client join or leave) that travelled in the member's partition
     * of a partitioned log, in order with the partition's messages: applied here by the control log's rules
     * before a group copy published after it, whichever of the two logs this node reads first. Applying it
     * twice changes nothing, so the control log's copy that follows (or came first) is harmless. Only the
     * hub, which is thread-safe, is touched.
     */
    @Override
    public void applyMembership(ClusterEntry entry) {
        if (!(entry instanceof ClusterEntry.UidJoined || entry instanceof ClusterEntry.UidLeft
                || entry instanceof ClusterEntry.JoinClient || entry instanceof ClusterEntry.LeaveClient)) {
            throw new IllegalArgumentException("not a membership change: " + entry);
        }
        clusterLog.apply(entry);
    }

    @Override
    public void applyBackfilled(ClusterEntry entry) {
        clusterLog.applyBackfilled(entry);
    }

    // ---- events for the backend ----------------------------------------------------------------------

    /** Where this node's {@link BackendEvent}s go from now on; {@link BackendEvents#NONE} (the default) builds none. */
    public void sendEventsTo(BackendEvents events) {
        this.backend = events;
    }

    /** Where clients' calls ({@code rpc}) go from now on; {@link BackendCalls#NONE} (the default) refuses them. */
    public void sendCallsTo(BackendCalls calls) {
        this.calls = calls;
    }

    BackendCalls calls() {
        return calls;
    }

    /** A client's {@code send}: a {@code message} event for the backend. @return whether it goes anywhere */
    boolean clientSaid(Session session, String event, @Nullable String dataJson) {
        BackendEvents events = backend;
        if (!events.wants(BackendEvent.Type.MESSAGE)) {
            return false;
        }
        events.send(new BackendEvent(nextEventId(), BackendEvent.Type.MESSAGE, session.uid(), session.clientId(), nodeId,
                clock.millis(), session.transportName(), session.data(), null, event, dataJson == null ? "null" : dataJson, 0, null));
        return true;
    }

    /** In a cluster, whether the log's presence entries must be followed for online and offline. */
    boolean wantsPresenceEdges() {
        BackendEvents events = backend;
        return clustered && (events.wants(BackendEvent.Type.ONLINE) || events.wants(BackendEvent.Type.OFFLINE));
    }

    /** A uid's first session in the cluster, or its last, which this node tells; see {@link PresenceEdges}. */
    void presenceEdge(boolean online, String uid, String clientId) {
        BackendEvent.Type type = online ? BackendEvent.Type.ONLINE : BackendEvent.Type.OFFLINE;
        BackendEvents events = backend;
        if (!events.wants(type)) {
            return;
        }
        Session here = hub.client(clientId);
        events.send(new BackendEvent(nextEventId(), type, uid, clientId, nodeId, clock.millis(),
                here == null ? null : here.transportName(), here == null ? roster.data(clientId) : here.data(),
                null, null, null, 0, null));
    }

    /** Called by the hub's listener, under the hub's lock: builds the event only when it goes somewhere. */
    private void tell(BackendEvent.Type type, Session session, @Nullable String group, int code, @Nullable String reason) {
        BackendEvents events = backend;
        if (events.wants(type)) {
            events.send(new BackendEvent(nextEventId(), type, session.uid(), session.clientId(), nodeId, clock.millis(),
                    session.transportName(), session.data(), group, null, null, code, reason));
        }
    }

    private String nextEventId() {
        return eventIdPrefix + eventSeq.incrementAndGet();
    }

    @Override
    public Set<String> reloadingOtherNodes(Set<String> live) {
        Set<String> absent = new HashSet<>();
        for (String known : roster.nodes()) {
            if (!known.equals(nodeId) && !live.contains(known)) {
                absent.add(known);
                roster.restating(known, Integer.MAX_VALUE); // until it restates, or forgetNodeUnlessRestated
            }
        }
        clusterLog.awaitRestate(absent);
        return absent;
    }

    @Override
    public Set<String> knownNodes() {
        return roster.nodes();
    }

    @Override
    public void forgetNodeUnlessRestated(String node) {
        if (roster.abandonRestate(node)) {
            clusterLog.forgetNode(node);
        }
    }

    @Override
    public void snapshot(java.util.function.Consumer<LocalState> action) {
        hub.snapshot((sessions, memberships) -> {
            List<ClusterEntry.SessionState> states = new ArrayList<>(sessions.size());
            for (Session s : sessions) {
                states.add(new ClusterEntry.SessionState(s.clientId(), s.uid(), s.groups(), s.data()));
            }
            action.accept(new LocalState(states, memberships));
        });
    }

    @Override
    public boolean isOnline(String uid) {
        return roster.isOnline(uid);
    }

    @Override
    public int reach(Target target) {
        return roster.reach(target);
    }

    @Override
    public Roster.@Nullable Member clusterSession(String clientId) {
        return roster.client(clientId);
    }

    @Override
    public List<String> clusterSessionsOf(String uid) {
        return roster.sessionsOf(uid);
    }

    @Override
    public Hub.@Nullable Join joinLocalClient(String clientId, String group) {
        Session session = hub.client(clientId);
        return session == null ? null : hub.join(session, group);
    }

    @Override
    public void watchGroups(GroupWatcher watcher) {
        roster.watch(watcher);
    }

    /**
     * From now on {@code watcher} hears every change to groups' members with whether this node is its teller
     * ({@link GroupWatcher#changed(String, String, boolean, String, boolean)}), so that what a change makes
     * happen (a channel's first session, a user's last) is told to the outside world by exactly one node of
     * the cluster. Alone, the node hears its changes as its roster makes them and tells them all; in a
     * cluster, every node hears every change in the cluster log's order, which is the same on every node.
     */
    @Override
    public void watchGroupEdges(GroupWatcher watcher) {
        roster.watch(new GroupWatcher() {
            @Override
            public void changed(String group, String clientId, boolean in, @Nullable String data) {
                changed(group, clientId, in, data, true);
            }

            @Override
            public void changed(String group, String clientId, boolean in, @Nullable String data, boolean teller) {
                if (!clustered) { // in a cluster the log's order is the one every node shares
                    watcher.changed(group, clientId, in, data, teller);
                }
            }
        });
        clusterLog.watchGroups(watcher);
    }

    @Override
    public boolean setLocalSessionData(String clientId, @Nullable String data) {
        Session session = hub.client(clientId);
        return session != null && hub.setData(session, data);
    }

    @Override
    public @Nullable String sessionData(String clientId) {
        Session session = hub.client(clientId);
        if (session != null) {
            return session.data() == null ? "{}" : session.data();
        }
        if (roster.client(clientId) == null) {
            return null;
        }
        String known = roster.data(clientId);
        return known == null ? "{}" : known;
    }

    @Override
    public @Nullable Boolean leaveLocalClient(String clientId, String group) {
        Session session = hub.client(clientId);
        return session == null ? null : hub.leave(session, group);
    }

    @Override
    public void checkUidMembership(String uid, String group) {
        hub.checkUidMembership(uid, group);
    }

    @Override
    public int joinUidWithinLimits(String uid, String group) {
        return hub.joinUidWithinLimits(uid, group);
    }

    @Override
    public int joinUid(String uid, String group) {
        return hub.joinUid(uid, group);
    }

    @Override
    public int leaveUid(String uid, String group) {
        return hub.leaveUid(uid, group);
    }

    @Override
    public Set<String> groupsOfUid(String uid) {
        return hub.groupsOfUid(uid);
    }

    // ---- sessions ------------------------------------------------------------------------------------

    /**
     * Makes this node part of a cluster whose broker sequences publishes and hears of this node's
     * session changes through {@code events}. From then on, publishes reach this node through
     * {@link #applySequenced}, and a cursor ahead of what this node has applied is one another node
     * handed out: it is trusted, and what it already covers is not sent again.
     */
    @Override
    public void joinCluster(SessionEvents events) {
        cluster = events;
        clustered = true;
    }

    /**
     * Takes the cluster's history epoch and sequence position: at start-up, and when the broker's
     * store was lost and is being restated. Never moves the sequence back.
     */
    @Override
    public void adopt(String epoch, long seq, long completeAfter) {
        pos.lock();
        try {
            commits.await(pos.issued); // nothing sequenced is still on its way into history
            history.adopt(epoch, completeAfter);
            pos.lastSeq = Math.max(pos.lastSeq, seq);
        } finally {
            pos.unlock();
        }
    }

    /**
     * The cluster's broker cannot give this node log entries it should have applied: they were trimmed
     * from the log while the node was cut off from Redis, or lost with Redis's data. No session here can
     * be vouched for (any of them may have been a target of what was missed), so each is sent a
     * {@code reset} now (a poller gets it at its next poll), and history answers no cursor from before
     * {@code completeAfter} any more: a client resuming from there gets a reset too, never a silent gap.
     *
     * @param epoch         the cluster's epoch from now on; a new one drops all history, so every cursor of
     *                      the old one is answered with a reset and no sequence number keeps two meanings
     * @param completeAfter the last sequence number this node will never apply; entries after it are
     *                      applied as they come
     */
    @Override
    public void lostEntries(String epoch, long completeAfter) {
        if (partitionApplied != null) {
            return; // the control log of a partitioned one carries no messages: presence is restated, no session resets
        }
        Pending reset;
        pos.lock();
        try {
            commits.await(pos.issued);
            boolean newEpoch = !epoch.equals(history.epoch());
            history.adopt(epoch, completeAfter);
            pos.lastSeq = newEpoch ? completeAfter : Math.max(pos.lastSeq, completeAfter);
            Cursor now = cursorNow();
            reset = new Pending(encoder.reset(now.text()), newEpoch, now.seq(), now.ts(), issue(), allShards);
            queueReset(reset);
        } finally {
            pos.unlock();
        }
        complete(reset);
    }

    /**
     * Queues a reset on every shard, behind everything sequenced before it: after what each session was sent
     * before the gap, before anything after it. Caller holds the sequence lock, then completes it outside.
     */
    private void queueReset(Pending reset) {
        for (Shard shard : shards) {
            shard.offer(reset);
        }
        commits.done(reset.ticket);
        gapResets++;
    }

    /** The next ticket ({@link Commits}); caller holds the sequence lock. */
    private long issue() {
        long ticket = ++pos.issued;
        commits.admit(ticket);
        return ticket;
    }

    /** The cursor just after the latest publish: where a client that has seen everything stands. */
    @Override
    public Cursor currentCursor() {
        pos.lock();
        try {
            return cursorNow();
        } finally {
            pos.unlock();
        }
    }

    /**
     * Timed now, not at the last publish: a cursor's time says how old it is, and one handed out on a
     * node that has been quiet for longer than the window must not be stale already. Caller holds the
     * sequence lock; later publishes are never timed before it.
     */
    private Cursor cursorNow() {
        pos.lastTs = Math.max(clock.millis(), pos.lastTs);
        return new Cursor(history.epoch(), pos.lastSeq, pos.lastTs);
    }

    /**
     * A position in the sequence and the last ticket issued up to it; see {@link Commits}. On a partitioned
     * log, with the id of the last copy sequenced up to it in one partition ({@code inPartition}), or in each
     * ({@code partitions}), when asked for.
     */
    private record Mark(Cursor cursor, long ticket, @Nullable Cursor inPartition, @Nullable Cursor @Nullable [] partitions) {
        long seq() {
            return cursor.seq();
        }
    }

    private Mark mark() {
        pos.lock();
        try {
            return new Mark(cursorNow(), pos.issued, null, null);
        } finally {
            pos.unlock();
        }
    }

    /** @param partition -1 for none, else the partition whose last copy it names; see {@link Mark} */
    private Mark mark(int partition) {
        pos.lock();
        try {
            Cursor[] applied = partitionApplied;
            return new Mark(cursorNow(), pos.issued, partition >= 0 && applied != null ? applied[partition] : null, null);
        } finally {
            pos.unlock();
        }
    }

    /** On a partitioned log, with every partition's last copy; see {@link Mark}. */
    private Mark markPartitions() {
        pos.lock();
        try {
            Cursor[] applied = partitionApplied;
            return new Mark(cursorNow(), pos.issued, null, applied == null ? null : applied.clone());
        } finally {
            pos.unlock();
        }
    }

    /**
     * Under the shard's lock: the position now, with history complete up to it and the shard's queue
     * delivered up to it, so the shard stands where the old single lock left the whole node.
     */
    private Mark caughtUp(Shard shard) {
        Mark m = mark();
        commits.await(m.ticket());
        deliverQueued(shard, null, m.seq(), false, true);
        return m;
    }

    /**
     * History after {@code cursor} for the session, up to {@code upTo} (a position up to which history is
     * complete: an entry after it may have earlier ones still being appended). A cursor ahead of it is,
     * alone, not ours to trust (reset); in a cluster it comes from a node that is further along, so the
     * session skips what the cursor covers when this node gets there.
     */
    private Replay read(Session session, Cursor cursor, int limit, long upTo) {
        if (cursor.seq() <= upTo) {
            Replay replay = history.readAfter(streams(session), cursor, limit);
            if (replay.reset() || replay.entries().isEmpty() || replay.entries().get(replay.entries().size() - 1).seq() <= upTo) {
                return replay;
            }
            List<Entry> upToIt = new ArrayList<>(replay.entries().size());
            for (Entry entry : replay.entries()) {
                if (entry.seq() <= upTo) {
                    upToIt.add(entry);
                }
            }
            return new Replay(upToIt, false, replay.more());
        }
        if (!cursor.epoch().equals(history.epoch()) || !clustered && cursor.seq() > pos.lastSeq) {
            return Replay.RESET;
        }
        // alone, a cursor handed out since upTo was read; in a cluster, also one from a node further along
        session.skipThrough = Math.max(session.skipThrough, cursor.seq());
        return NOTHING_YET;
    }

    private static final Replay NOTHING_YET = new Replay(List.of(), false, false);

    /**
     * Opens a streaming session (WebSocket, SSE) for a verified client and registers it.
     *
     * <p>Its first frame is the greeting. With {@code resumeFrom}, the messages after that cursor
     * follow, then live ones, or a reset frame when they are no longer all kept. Without it, messages
     * held for the uid under a {@code ttl} while it was offline follow.
     *
     * @return the session, or {@code null} when the uid is at its session limit or the node is shutting
     * down; the caller then closes the connection with {@link #refusal()}'s code
     */
    @Override
    public @Nullable Session connect(ClientClaims claims, Transport transport, Greeting greeting,
                                     @Nullable Cursor resumeFrom, @Nullable Prepared prepared) {
        return open(claims, transport, greeting, resumeFrom, prepared, true);
    }

    /**
     * Opens a long-poll session. It keeps no queue: each poll reads history after its cursor through
     * {@link #pollOrWait}, and the session only lives as long as the transport keeps it.
     */
    @Override
    public @Nullable Session connectPoller(ClientClaims claims, Transport transport) {
        return open(claims, transport, null, null, null, false);
    }

    /**
     * Under the session's shard's lock only (and, for moments, the sequence lock and the hub's): never
     * waits for a delivery to another shard. See {@code docs/cores.md} for why its welcome cursor is exact.
     */
    private @Nullable Session open(ClientClaims claims, Transport transport, @Nullable Greeting greeting,
                                   @Nullable Cursor resumeFrom, @Nullable Prepared prepared, boolean streaming) {
        String clientId = nodeId + "-" + Long.toString(clientSeq.incrementAndGet(), 36);
        int meterSlot = meters.slot(transport.name());
        Shard shard = shards[hub.shardOf(claims.uid())];
        shard.lockForSession();
        try {
            if (!accepting) {
                return null;
            }
            if (bannedUntil(claims.uid()) > 0) {
                meters.authFailed(InvalidTokenException.Reason.BANNED);
                return null;
            }
            Outlet own = streaming ? transport.outlet(limits.queueCapacity()) : null;
            Outlet outlet = !streaming ? new Doorbell() : own != null ? own : new Outbox(limits.queueCapacity());
            Session session = new Session(clientId, claims, transport, outlet, pos.lastSeq, () -> dropped.mark(1));
            java.util.function.ToIntFunction<String> partitions = partitioning;
            if (partitions != null) {
                session.partition = partitions.applyAsInt(claims.uid());
            }
            session.meterSlot = meterSlot;
            Mark[] at = new Mark[1];
            String[] cursor = new String[1];
            boolean registered = hub.register(session, s -> {
                // the session's groups are marked in its shard now: what is sequenced after this reaches it
                Mark m = mark(s.partition);
                s.connectedSeq = m.seq();
                Cursor now = m.cursor();
                if (s.partition >= 0) {
                    now = welcomeInPartition(m, prepared);
                    s.partitionStart = now;
                } else if (clustered && resumeFrom != null && resumeFrom.seq() > now.seq() && resumeFrom.epoch().equals(now.epoch())) {
                    now = new Cursor(now.epoch(), resumeFrom.seq(), now.ts()); // never behind what the client holds
                }
                at[0] = m;
                cursor[0] = now.text();
                if (greeting != null) {
                    s.sendFirst(greeting.welcome(s, cursor[0]));
                }
            });
            if (!registered) {
                return null;
            }
            // the shard delivered up to the welcome's position (to this session nothing: it is at or before its
            // connectedSeq), so a message held for the uid under a ttl up to there is held now, and taken below
            commits.await(at[0].ticket());
            deliverQueued(shard, null, at[0].seq(), false, true);
            if (streaming && session.partition >= 0) {
                if (resumeFrom == null) {
                    sendHeld(session, prepared);
                } else {
                    replayPartitioned(session, resumeFrom, prepared, at[0].seq(), cursor[0]);
                }
            } else if (streaming) {
                if (resumeFrom == null) {
                    sendHeld(session, at[0].seq());
                } else {
                    replay(session, resumeFrom, at[0].seq(), cursor[0]); // a reset names the welcome's cursor
                }
            }
            meters.connected(meterSlot);
            return session;
        } finally {
            shard.unlock();
        }
    }

    /** Why {@link #connect} refused: shutting down, or too many sessions for the uid. */
    public Disconnect refusal() {
        return accepting ? Disconnect.TOO_MANY_SESSIONS : Disconnect.SHUTDOWN;
    }

    /** Why {@link #connect} refused the uid: shutting down, banned, or too many sessions for it. */
    @Override
    public Disconnect refusal(String uid) {
        return !accepting ? Disconnect.SHUTDOWN : bannedUntil(uid) > 0 ? Disconnect.BANNED : Disconnect.TOO_MANY_SESSIONS;
    }

    /**
     * Refuses the uid's new sessions on this node until {@code untilMillis} (epoch ms); sessions it has now
     * are left to the kick that goes with a ban. A later ban of the same uid only extends it.
     */
    @Override
    public void ban(String uid, long untilMillis) {
        bans.ban(uid, untilMillis);
    }

    /** @return when the uid's ban ends (epoch ms), or 0 when it is not banned */
    @Override
    public long bannedUntil(String uid) {
        return bans.bannedUntil(uid, clock.millis());
    }

    /**
     * Replays to a streaming session what it missed after {@code cursor}, up to what it has received live
     * since it connected, ahead of live frames not yet written.
     *
     * @return the number of messages replayed, or -1 when a reset was sent instead
     */
    @Override
    public int resume(Session session, Cursor cursor, @Nullable Prepared prepared) {
        Shard shard = shards[session.shard];
        shard.lockForSession();
        try {
            Mark m = caughtUp(shard);
            if (session.partition >= 0) {
                return replayPartitioned(session, cursor, prepared, session.connectedSeq(), pingCursor(session, shard, m).text());
            }
            return replay(session, cursor, session.connectedSeq(), m.cursor().text());
        } finally {
            shard.unlock();
        }
    }

    /**
     * Caller holds the session's shard lock, and history is complete up to {@code upToSeq}; {@code resetCursor}
     * is the cursor a reset names.
     */
    private int replay(Session session, Cursor cursor, long upToSeq, String resetCursor) {
        Replay replay = read(session, cursor, Integer.MAX_VALUE, upToSeq);
        long upTo = Math.min(upToSeq, session.replayedFrom);
        int count = 0;
        if (!replay.reset()) {
            for (Entry entry : replay.entries()) {
                if (entry.seq() <= upTo) {
                    count++;
                }
            }
        }
        // A replay that does not fit the session's free queue is not queued: the queue's bound holds for
        // replays as for live frames, and a replay cut short would be a gap. The honest answer is a reset
        // (reload state, then go on live), the same as for a cursor older than history.
        if (replay.reset() || count > session.room()) {
            session.sendFirst(encoder.reset(resetCursor));
            sendHeld(session, upToSeq);
            return -1;
        }
        takeHeld(session.uid(), upToSeq); // they are in the uid's stream, replayed below if missed
        for (Entry entry : replay.entries()) {
            if (entry.seq() <= upTo && !session.sendFirst(entry.frame())) {
                return -1; // taken by a concurrent reply: the session was closed as slow (4408), and resumes
            }
        }
        session.replayedFrom = Math.min(session.replayedFrom, cursor.seq());
        return count;
    }

    // ---- sessions of a partitioned log (docs/partitioned-log.md) --------------------------------------

    /**
     * A session's welcome on a partitioned log: the last copy of its partition sequenced here, or where the
     * broker read the partition stood ({@link Prepared#start}) when that is later (this node had not received
     * the partition's later entries: none was for its sessions). Timed now.
     */
    private Cursor welcomeInPartition(Mark m, @Nullable Prepared prepared) {
        Cursor c = m.inPartition();
        if (prepared != null && (c == null || !c.epoch().equals(prepared.start().epoch()) || c.seq() < prepared.start().seq())) {
            c = prepared.start();
        }
        if (c == null) { // no preparation: a position no resume can be honoured from, so it resets
            c = new Cursor(history.epoch(), 0, 0);
        }
        return new Cursor(c.epoch(), c.seq(), Math.max(c.ts(), m.cursor().ts()));
    }

    /**
     * The messages after {@code cursor} that a session of a partitioned log reads, each under its number in
     * the partition: those the broker read from Redis ({@link Prepared#logged}, up to its start), then those
     * this node applied after the prepared mark and up to {@code upToLocal}, numbered after the start. Only
     * those up to {@code upToPseq} (what the session did not get live). A cursor of another epoch, older than
     * the window, or one the broker could not honour, resets, as on one log.
     */
    private Replay readPartitioned(Session session, Cursor cursor, @Nullable Prepared prepared, int limit,
                                   long upToLocal, long upToPseq) {
        int k = session.partition;
        if (prepared == null || prepared.reset() || prepared.partition() != k
                || !cursor.epoch().equals(prepared.start().epoch())
                || cursor.ts() < clock.millis() - history.window().toMillis()) {
            return Replay.RESET;
        }
        List<Entry> out = new ArrayList<>();
        for (Prepared.Logged logged : prepared.logged()) {
            long n = logged.id().seq();
            if (n > cursor.seq() && n <= upToPseq) {
                Frame frame = encodeFor(session, logged);
                if (frame != null) {
                    out.add(new Entry(n, logged.id().ts(), 0, frame, k, logged.id()));
                }
            }
        }
        long after = Math.max(cursor.seq(), prepared.start().seq());
        Replay local = history.readAfter(streams(session), new Cursor(history.epoch(), prepared.localMark(), clock.millis()),
                Integer.MAX_VALUE);
        if (local.reset()) {
            return Replay.RESET; // this node's history lost what came after the mark
        }
        for (Entry e : local.entries()) {
            Cursor copy = e.copy();
            if (e.seq() <= upToLocal && e.partition() == k && copy != null && copy.seq() > after && copy.seq() <= upToPseq) {
                // under the copy's number and time, so a poll's next cursor is the last message's id, exactly
                out.add(new Entry(copy.seq(), copy.ts(), e.keepUntil(), e.frame(), k, copy));
            }
        }
        if (out.size() > limit) {
            return new Replay(List.copyOf(out.subList(0, limit)), false, true);
        }
        return new Replay(out, false, false);
    }

    /** The frame of a logged message for the session, or {@code null} when the session does not read it. */
    private @Nullable Frame encodeFor(Session session, Prepared.Logged logged) {
        Publication publication = logged.publication();
        Target target = publication.target();
        if (target.excludeClients().contains(session.clientId())) {
            return null;
        }
        Address to = null;
        if (target.all()) {
            to = Address.ALL;
        } else if (target.uids().contains(session.uid())) {
            to = Address.uid(session.uid());
        } else if (target.clients().contains(session.clientId())) {
            to = Address.client(session.clientId());
        } else {
            for (String group : target.groups()) {
                if (session.groups().contains(group)) {
                    to = Address.group(group);
                    break;
                }
            }
        }
        if (to == null) {
            return null;
        }
        try {
            return encoder.encode(new Message(logged.id().text(), publication.event(), publication.dataJson(), to,
                    logged.id().ts()));
        } catch (RuntimeException e) {
            return null; // it failed for its publisher too, who was told
        }
    }

    /**
     * Replays what a session of a partitioned log missed after {@code cursor}, ahead of live frames; as
     * {@link #replay}, a replay that does not fit the free queue is a reset. Caller holds its shard's lock.
     *
     * @return the number of messages replayed, or -1 when a reset was sent instead
     */
    private int replayPartitioned(Session session, Cursor cursor, @Nullable Prepared prepared, long upToLocal,
                                  String resetCursor) {
        long upTo = Math.min(session.partitionFloor(), session.replayedFrom);
        Replay replay = readPartitioned(session, cursor, prepared, Integer.MAX_VALUE, upToLocal, upTo);
        if (replay.reset() || replay.entries().size() > session.room()) {
            session.sendFirst(encoder.reset(resetCursor));
            return -1;
        }
        for (Entry entry : replay.entries()) {
            if (!session.sendFirst(entry.frame())) {
                return -1; // closed as slow (4408): it resumes
            }
        }
        session.replayedFrom = Math.min(session.replayedFrom, cursor.seq());
        return replay.entries().size();
    }

    /**
     * What the partition held for the uid under a {@code ttl} while it was offline, up to the session's welcome
     * (later ones reach it live), as much as its queue has room for. Taken from Redis once, cluster-wide.
     */
    private void sendHeld(Session session, @Nullable Prepared prepared) {
        if (prepared == null) {
            return;
        }
        int room = session.room();
        for (Prepared.Logged held : prepared.held()) {
            if (room <= 0) {
                return;
            }
            if (held.id().seq() <= session.partitionFloor()) {
                Frame frame = encodeFor(session, held);
                if (frame != null && session.sendFirst(frame)) {
                    room--;
                }
            }
        }
    }

    /**
     * A heartbeat's cursor for a session of a partitioned log, with its shard delivered up to {@code m}: the
     * later of its partition's last copy sequenced by then and the last one its shard delivered, never
     * behind its welcome. Caller holds the shard's lock.
     */
    private static Cursor pingCursor(Session session, Shard shard, Mark m) {
        return timed(pingPosition(session, shard, m), m);
    }

    /** As {@link #pingCursor}, untimed: one of the cursors it compares, so a heartbeat allocates nothing per session. */
    private static Cursor pingPosition(Session session, Shard shard, Mark m) {
        int k = session.partition;
        Cursor c = m.partitions() != null ? m.partitions()[k] : null;
        Cursor delivered = shard.partitionLast == null ? null : shard.partitionLast[k];
        c = later(c, delivered);
        Cursor start = session.partitionStart; // null again after a new epoch's reset, which moved the partition on
        if (start != null && (c == null || !c.epoch().equals(start.epoch()) || c.seq() < start.seq())) {
            c = start;
        }
        return c == null ? NO_POSITION : c;
    }

    private static final Cursor NO_POSITION = new Cursor("0", 0, 0);

    /** The position timed at the mark: a cursor's time says how old it is, and a ping's is fresh. */
    private static Cursor timed(Cursor position, Mark m) {
        return new Cursor(position.epoch(), position.seq(), Math.max(position.ts(), m.cursor().ts()));
    }

    private static @Nullable Cursor later(@Nullable Cursor a, @Nullable Cursor b) {
        if (a == null) {
            return b;
        }
        if (b == null || !b.epoch().equals(a.epoch())) {
            return a;
        }
        return b.seq() > a.seq() ? b : a;
    }

    /**
     * Queues what is held for the session's uid under a {@code ttl}, as much as its queue has room for;
     * the rest stays held for its next connection, so nothing held is dropped for want of room. Caller
     * holds the uid's shard lock, with the shard delivered up to {@code upToSeq}.
     */
    private void sendHeld(Session session, long upToSeq) {
        List<Entry> held = takeHeld(session.uid(), upToSeq);
        int room = session.room();
        for (int i = 0; i < held.size(); i++) {
            if (i >= room) {
                history.holdForOffline(session.uid(), held.get(i));
            } else if (!session.sendFirst(held.get(i).frame())) {
                history.holdForOffline(session.uid(), held.get(i));
                room = 0; // closed as slow: keep this one and the rest for the next connection
            }
        }
    }

    /**
     * One long poll: the messages after {@code cursor} (at most {@code limit}), or, when there are none,
     * {@code wake} armed to run at the session's next message. Atomic with its shard's deliveries, so a
     * message published right after an empty answer always rings.
     */
    @Override
    public Replay pollOrWait(Session session, Cursor cursor, int limit, Runnable wake, @Nullable Prepared prepared) {
        Shard shard = shards[session.shard];
        shard.lockForSession();
        try {
            Mark m = caughtUp(shard);
            Replay replay = session.partition >= 0
                    ? readPartitioned(session, cursor, prepared, limit, m.seq(), Long.MAX_VALUE)
                    : read(session, cursor, limit, m.seq());
            if (!replay.reset() && replay.entries().isEmpty()) {
                session.arm(wake);
            }
            return replay;
        } finally {
            shard.unlock();
        }
    }

    /**
     * The cursor for a poll that waited and found nothing after {@code after}: the same position, timed
     * now, so a poller that keeps polling a quiet stream is never reset for the age of its cursor. When
     * something arrived meanwhile, {@code after} itself, so the next poll gets it.
     */
    @Override
    public Cursor idleCursor(Session session, Cursor after, @Nullable Prepared prepared) {
        Mark m = mark();
        commits.await(m.ticket());
        Cursor now = new Cursor(after.epoch(), after.seq(), Math.max(after.ts(), m.cursor().ts()));
        // the poll was armed since it checked the cursor's age: nothing it waited for can have expired
        Replay replay = session.partition >= 0 ? readPartitioned(session, now, prepared, 1, m.seq(), Long.MAX_VALUE)
                : history.readAfter(streams(session), now, 1);
        return replay.reset() || !replay.entries().isEmpty() ? after : now;
    }

    /** Caller holds the uid's shard lock. In a cluster, the other nodes are told to drop their copies. */
    private List<Entry> takeHeld(String uid, long upToSeq) {
        List<Entry> held = history.takeOffline(uid);
        if (!held.isEmpty()) {
            cluster.tookHeld(uid, upToSeq);
        }
        return held;
    }

    /** Another node delivered what was held for the uid up to {@code upToSeq}: drops this node's copies. */
    void dropHeld(String uid, long upToSeq) {
        Shard shard = shards[hub.shardOf(uid)];
        shard.lockForSession();
        try {
            caughtUp(shard);
            history.dropOffline(uid, upToSeq); // in place: the later holds keep their age for the node-wide cap
        } finally {
            shard.unlock();
        }
    }

    /**
     * On a partitioned log, where a poller with no cursor yet starts: its partition's position when the broker
     * read it, timed now. Elsewhere {@link #currentCursor()}.
     */
    @Override
    public Cursor currentCursor(@Nullable Prepared prepared) {
        if (prepared == null) {
            return currentCursor();
        }
        Cursor start = prepared.start();
        return new Cursor(start.epoch(), start.seq(), Math.max(start.ts(), clock.millis()));
    }

    /**
     * On a partitioned log, the frames the broker took for the uid from Redis up to where a poller with no
     * cursor starts ({@link #currentCursor(Prepared)}): later ones are after that cursor, for its next poll.
     */
    @Override
    public List<Frame> takeOffline(String uid, @Nullable Prepared prepared) {
        if (prepared == null) {
            return takeOffline(uid);
        }
        List<Frame> frames = new ArrayList<>();
        for (Prepared.Logged held : prepared.held()) {
            if (held.id().seq() <= prepared.start().seq()) {
                frames.add(encoder.encode(new Message(held.id().text(), held.publication().event(),
                        held.publication().dataJson(), Address.uid(uid), held.id().ts())));
            }
        }
        return frames;
    }

    /** The frames held for the uid under a ttl while it was offline; taken once. */
    @Override
    public List<Frame> takeOffline(String uid) {
        Shard shard = shards[hub.shardOf(uid)];
        shard.lockForSession();
        try {
            Mark m = caughtUp(shard);
            return takeHeld(uid, m.seq()).stream().map(Entry::frame).toList();
        } finally {
            shard.unlock();
        }
    }

    private static List<Address> streams(Session session) {
        List<Address> streams = new ArrayList<>(session.groups().size() + 3);
        streams.add(Address.ALL);
        for (String group : session.groups()) {
            streams.add(Address.group(group));
        }
        streams.add(Address.uid(session.uid()));
        streams.add(Address.client(session.clientId()));
        return streams;
    }

    /**
     * Starts a heartbeat for every session of one transport: each tick, shard by shard under the shard's
     * lock, a ping frame carrying a cursor is handed to each of the shard's sessions of that transport. The
     * cursor is the shard's: the position read at the tick or the last publication the shard delivered,
     * whichever is later, once the shard has delivered everything up to the former, so it never runs ahead
     * of a message a session has not been given. One timer per transport instead of one per session keeps
     * idle sessions cheap.
     */
    @Override
    public Disposable heartbeats(String transport, Duration every) {
        return Flux.interval(every, every).subscribe(tick -> {
            Mark m = partitionApplied != null ? markPartitions() : mark();
            commits.await(m.ticket());
            Frame ping = null;
            long pingSeq = -1;
            Map<Cursor, Frame> partitionPings = m.partitions() == null ? Map.of() : new HashMap<>(); // one encoding per position
            for (Shard shard : shards) {
                shard.lockForSession();
                try {
                    deliverQueued(shard, null, m.seq(), false, true);
                    long seq = m.seq();
                    long ts = m.cursor().ts();
                    if (shard.lastSeq > seq) {
                        seq = shard.lastSeq;
                        ts = Math.max(ts, shard.lastTs);
                    }
                    if (ping == null || seq != pingSeq) {
                        ping = encoder.ping(new Cursor(m.cursor().epoch(), seq, ts).text());
                        pingSeq = seq;
                    }
                    for (Session session : hub.shardView(shard.index)) {
                        if (session.transportName().equals(transport)) {
                            session.heartbeat(session.partition < 0 ? ping : partitionPing(session, shard, m, partitionPings));
                        }
                    }
                } finally {
                    shard.unlock();
                }
            }
        });
    }

    /** A partitioned session's ping, encoded once per position in the tick ({@code pings}). */
    private Frame partitionPing(Session session, Shard shard, Mark m, Map<Cursor, Frame> pings) {
        Cursor position = pingPosition(session, shard, m);
        Frame ping = pings.get(position);
        if (ping == null) {
            ping = encoder.ping(timed(position, m).text());
            pings.put(position, ping);
        }
        return ping;
    }

    /**
     * Closes, with {@link Disconnect#TOKEN_EXPIRED}, every streaming session whose token has run out and
     * was not refreshed; runs every second, so one scan replaces a timer per session in each transport.
     * Long-poll sessions are exempt: every poll presents its token again.
     */
    private void closeExpired() {
        java.time.Instant now = clock.instant();
        for (Session session : hub.allView()) {
            if (!session.polling() && !session.claims().expiresAt().isAfter(now)) {
                session.close(Disconnect.TOKEN_EXPIRED);
            }
        }
    }

    /** Called by the transport once its connection is gone. */
    @Override
    public void disconnected(Session session) {
        if (hub.unregister(session)) {
            // here, outside the hub's lock: a close code seen for the first time registers a meter
            meters.disconnected(session.meterSlot, session.endReason());
        }
        if (hub.sessionCount() == 0) {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }

    /**
     * Publishes to the target's sessions on this node, which runs alone. Never blocks on I/O; returns once
     * every shard the publication reaches has queued it to its sessions.
     *
     * @throws IllegalStateException in a cluster, where publishes go through the {@link Broker}
     */
    @Override
    public PublishResult publish(Publication publication) {
        if (clustered) {
            throw new IllegalStateException("this node is in a cluster: publish through its Broker");
        }
        Pending p = sequence(publication, -1, 0, null, acceptedNanos(), -1, null);
        String id = prepare(p);
        int reached = complete(p);
        Target target = publication.target();
        List<String> uids = target.uids();
        List<String> online;
        List<String> offline;
        if (uids.isEmpty()) {
            online = List.of();
            offline = List.of();
        } else if (uids.size() == 1 && !target.all()) { // a uid push: no lists to grow
            online = p.uidOnline[0] ? uids : List.of();
            offline = p.uidOnline[0] ? List.of() : uids;
        } else {
            online = new ArrayList<>();
            offline = new ArrayList<>();
            for (int i = 0; i < uids.size(); i++) {
                boolean on = target.all() ? !hub.uidView(uids.get(i)).isEmpty() : p.uidOnline[i];
                (on ? online : offline).add(uids.get(i));
            }
        }
        messagesIn.mark(1);
        messagesOut.mark(reached);
        return new PublishResult(id, reached, online, offline);
    }

    /**
     * Applies a publish the cluster's broker sequenced, on every node in sequence order. One applied
     * already (a broker replaying after a reconnect) is ignored.
     *
     * @param holdFor uids that had no session anywhere when it was published: with a ttl, the message
     *                is held for them here as it is on every node
     * @return the id, or {@code null} when it was already applied
     */
    @Nullable String applySequenced(Publication publication, long seq, long ts, Collection<String> holdFor) {
        Pending p = sequence(publication, seq, ts, holdFor, acceptedNanos(), -1, null);
        if (p == null) {
            return null;
        }
        String id = prepare(p);
        messagesOut.mark(complete(p));
        return id;
    }

    /**
     * On a partitioned cluster log (see {@code docs/partitioned-log.md}): from now on each session is in its
     * uid's partition, which {@code partitionOfUid} gives. Called by the broker before any session connects.
     */
    @Override
    public void partitionSessions(int partitions, java.util.function.ToIntFunction<String> partitionOfUid,
                                  Prepared.Preparer preparer) {
        pos.lock();
        try {
            partitionApplied = new Cursor[partitions];
        } finally {
            pos.unlock();
        }
        this.preparer = preparer;
        partitioning = partitionOfUid;
    }

    /**
     * On a partitioned log, what a session needs read from Redis before it connects, resumes or polls from
     * {@code after}; {@code null} elsewhere, where nothing needs reading (the transport goes on at once).
     */
    @Override
    public reactor.core.publisher.@Nullable Mono<Prepared> prepare(ClientClaims claims, @Nullable Cursor after) {
        Prepared.Preparer p = preparer;
        return p == null ? null : p.prepare(claims.uid(), after);
    }

    /** This node's own sequence number now; see {@link Prepared#localMark}. */
    @Override
    public long localSeq() {
        pos.lock();
        try {
            return pos.lastSeq;
        } finally {
            pos.unlock();
        }
    }

    /**
     * Partition {@code k} lost entries this node should have received (or Redis lost them): its sessions
     * here get a {@code reset} naming {@code now}, the partition's position from here on, after what they
     * were sent before and before anything after. Sessions of other partitions are not touched.
     *
     * @param newEpoch the partition started a new epoch: positions of the old one mean nothing any more
     */
    @Override
    public void lostPartition(int k, Cursor now, boolean newEpoch) {
        Pending reset;
        pos.lock();
        try {
            Cursor[] applied = partitionApplied;
            if (applied == null) {
                return;
            }
            applied[k] = newEpoch || applied[k] == null || applied[k].seq() < now.seq() ? now : applied[k];
            reset = new Pending(encoder.reset(now.text()), newEpoch, pos.lastSeq, pos.lastTs, issue(), allShards);
            reset.partition = k;
            queueReset(reset);
        } finally {
            pos.unlock();
        }
        complete(reset);
    }

    /**
     * Applies one partition's copy of a publish on a partitioned cluster log: sequenced here, after what this
     * node applied before, with {@code id} (its cursor in the partition) as the message's id, so the bytes are
     * encoded once for the copy; delivered to the sessions it targets that are in {@code partition} (a group
     * or {@code all} message comes once per partition, each copy to its own partition's sessions).
     *
     * @param holdFor uids that had no session anywhere when it was published
     * @return the id
     */
    @Override
    public String applyPartitioned(int partition, Cursor id, Publication publication, Collection<String> holdFor) {
        brokerEntriesRead.incrementAndGet();
        brokerMessagesRead.incrementAndGet();
        Pending p = sequence(publication, -1, 0, holdFor, acceptedNanos(), partition, id);
        if (p == null) {
            throw new IllegalStateException("a publish this node numbers is never a repeat");
        }
        String text = prepare(p);
        messagesOut.mark(complete(p));
        return text;
    }

    /** How late the latest publish from the broker was applied here, for stats. */
    void noteBrokerLag(long millis) {
        brokerLagMillis = Math.max(0, millis);
    }

    /** Counts a publish this node accepted for the cluster. */
    @Override
    public void countPublished(int publishes) {
        messagesIn.mark(publishes);
    }

    /** When a publication is taken in, for its fan-out latency; the clock is not read while nobody samples it. */
    private long acceptedNanos() {
        return meters.fanoutLatency() == null ? 0 : System.nanoTime();
    }

    /**
     * Under the sequence lock, and only this: the next sequence number (or the broker's, {@code givenSeq}
     * at least 0), a ticket, and the publication queued on every shard it may reach, in sequence order.
     *
     * @return {@code null} when the broker's sequence number was applied already
     */
    private @Nullable Pending sequence(Publication publication, long givenSeq, long givenTs,
                                       @Nullable Collection<String> holdFor, long acceptedNanos,
                                       int partition, @Nullable Cursor external) {
        Target target = publication.target();
        List<String> uids = target.uids();
        int[] uidShards = target.all() || uids.isEmpty() ? NO_SHARDS : new int[uids.size()];
        long reach = target.all() ? allShards : 0;
        for (int i = 0; i < uidShards.length; i++) {
            uidShards[i] = hub.shardOf(uids.get(i));
            reach |= 1L << uidShards[i];
        }
        List<String> clients = target.all() ? List.of() : target.clients();
        int[] clientShards = clients.isEmpty() ? NO_SHARDS : new int[clients.size()];
        long now = givenSeq < 0 ? clock.millis() : 0; // read before the lock, which it would lengthen; ts still only grows
        pos.lock();
        try {
            long seq;
            long ts;
            if (givenSeq < 0) {
                seq = ++pos.lastSeq;
                ts = Math.max(now, pos.lastTs);
                pos.lastTs = ts;
            } else {
                if (givenSeq <= pos.lastSeq) {
                    return null;
                }
                seq = givenSeq;
                ts = givenTs;
                pos.lastSeq = seq;
                pos.lastTs = Math.max(pos.lastTs, ts);
            }
            if (!target.all()) {
                for (String group : target.groups()) {
                    long[] present = groupShards.get(group);
                    if (present != null) {
                        reach |= present[0];
                    }
                }
                for (int i = 0; i < clientShards.length; i++) {
                    Session session = hub.client(clients.get(i));
                    clientShards[i] = session == null ? -1 : session.shard;
                    if (session != null) {
                        reach |= 1L << session.shard;
                    }
                }
            }
            Pending p = new Pending(publication, seq, ts, history.epoch(), issue(), holdFor, acceptedNanos,
                    reach, uidShards, clientShards);
            if (external != null) { // a partition's copy: before the shards see it
                p.partition = partition;
                p.external = external;
                Cursor[] applied = partitionApplied;
                if (applied != null) {
                    applied[partition] = external;
                }
            }
            for (long r = reach; r != 0; r &= r - 1) {
                shards[Long.numberOfTrailingZeros(r)].offer(p);
            }
            return p;
        } finally {
            pos.unlock();
        }
    }

    /**
     * Outside every lock: encodes the publication once per stream and installs the frames (unless a thread
     * that found it stalled did so first, see {@link Pending}), which makes it ready for the shards; then
     * appends the installed frames to history and marks it done for {@link Commits}. A publication whose
     * encoding failed is made ready with no frames, so its shards go on; the publisher gets the failure.
     *
     * <p>Shards may deliver it before it is in history: every reader of history that must find it there (a
     * connect's replay, a resume, a poll) first waits for its ticket in {@link Commits}, and a session it
     * reached resumes from its id, after it.
     *
     * @return its id
     */
    private String prepare(Pending p) {
        @Nullable Frame[] frames = null;
        try {
            String id = idOf(p);
            frames = p.install(encode(p, id));
            appendToHistory(p, frames);
            return id;
        } finally {
            if (frames == null) {
                p.install(new Frame[p.streamReached.length]);
            }
            commits.done(p.ticket);
        }
    }

    /** Its id: its cursor in the node's numbering, or a partition's copy's cursor there. */
    private static String idOf(Pending p) {
        return p.external != null ? p.external.text() : Cursor.text(p.epoch, p.seq, p.ts);
    }

    /**
     * The publication's frame for each stream of its target, in {@link Pending#frames}' order. A pure function
     * of the publication and its position: the publisher and a thread that helps it get the same bytes.
     */
    private @Nullable Frame[] encode(Pending p, String id) {
        Target target = p.publication.target();
        @Nullable Frame[] frames = new Frame[p.streamReached.length];
        if (target.all()) {
            frames[frames.length - 1] = encode(p, id, Address.ALL);
            return frames;
        }
        int stream = 0;
        for (String group : target.groups()) {
            frames[stream++] = encode(p, id, Address.group(group));
        }
        for (String uid : target.uids()) {
            frames[stream++] = encode(p, id, Address.uid(uid));
        }
        List<String> clients = target.clients();
        for (int i = 0; i < clients.size(); i++, stream++) {
            if (p.clientShards[i] >= 0) { // no frame for a client with no session here
                frames[stream] = encode(p, id, Address.client(clients.get(i)));
            }
        }
        return frames;
    }

    private Frame encode(Pending p, String id, Address to) {
        Frame frame = encoder.encode(new Message(id, p.publication.event(), p.publication.dataJson(), to, p.ts));
        java.util.function.LongConsumer sink = meters.fanoutLatency();
        if (sink != null && p.acceptedNanos != 0) { // 0: sampling began after it was taken in
            frame.sampleLatency(p.acceptedNanos, sink);
        }
        return frame;
    }

    /** Each frame installed, into its stream's history. */
    private void appendToHistory(Pending p, @Nullable Frame[] frames) {
        Target target = p.publication.target();
        long keepUntil = p.ts + Math.max(history.window().toMillis(), p.publication.ttlSeconds() * 1000L);
        if (target.all()) {
            append(p, keepUntil, Address.ALL, frames[frames.length - 1]);
            return;
        }
        int stream = 0;
        for (String group : target.groups()) {
            append(p, keepUntil, Address.group(group), frames[stream++]);
        }
        for (String uid : target.uids()) {
            append(p, keepUntil, Address.uid(uid), frames[stream++]);
        }
        for (String client : target.clients()) {
            append(p, keepUntil, Address.client(client), frames[stream++]);
        }
    }

    private void append(Pending p, long keepUntil, Address stream, @Nullable Frame frame) {
        if (frame == null) {
            return; // a client with no session here, or an encoding that failed
        }
        history.append(stream, p.external == null ? new Entry(p.seq, p.ts, keepUntil, frame)
                : new Entry(p.seq, p.ts, keepUntil, frame, p.partition, p.external));
    }

    /**
     * A thread whose own publication waits behind {@code p} on a shard, and has for a while: encodes and
     * installs {@code p}'s frames, so the shard can go on while its publisher is stalled (preempted between
     * sequencing and encoding). Its history append stays its publisher's. Caller holds the shard's lock.
     *
     * @return whether it is ready now
     */
    private boolean helpEncode(Pending p) {
        try {
            p.install(encode(p, idOf(p)));
            return true;
        } catch (RuntimeException e) {
            return p.ready(); // the publisher's own encoding will fail too, and it installs what the shards go on with
        }
    }

    /** Rounds without progress after which a publisher delivers the publications of others ahead of its own. */
    private static final int HELP_AFTER = 16;

    /**
     * Returns once every shard the publication reaches has delivered it, delivering meanwhile on each shard
     * whose lock is free (what is queued there before it too); a shard a session waits for is left to it
     * and tried again.
     *
     * @return the sessions reached
     */
    private int complete(Pending p) {
        int reached = 0; // where this thread delivered it; the rest is in p.reachedElsewhere()
        int spins = 0;
        long left;
        int first = (int) Math.floorMod(p.seq, (long) shards.length); // publishers side by side start apart
        while ((left = p.left()) != 0) {
            boolean progressed = false;
            for (int i = 0; i < shards.length; i++) {
                int k = first + i < shards.length ? first + i : first + i - shards.length;
                if ((left & (1L << k)) == 0) {
                    continue;
                }
                Shard shard = shards[k];
                if (shard.waiting() > 0) {
                    continue; // a connect, poll or heartbeat goes first
                }
                if (shard.tryLock()) {
                    try {
                        int own = deliverQueued(shard, p, Long.MAX_VALUE, true, spins >= HELP_AFTER);
                        if (own >= 0) {
                            progressed = true;
                            reached += own;
                        }
                    } finally {
                        shard.unlock();
                    }
                }
            }
            if (progressed) {
                spins = 0;
            } else {
                Commits.backoff(spins++);
            }
        }
        if (p.publication != null) {
            // no session to write it now: a replay much later must not count as fan-out
            @Nullable Frame[] frames = p.frames();
            for (int stream = 0; stream < frames.length; stream++) {
                if (frames[stream] != null && !p.streamReached[stream]) {
                    frames[stream].unsample();
                }
            }
        }
        return reached + p.reachedElsewhere();
    }

    /**
     * Caller holds the shard's lock. Delivers the shard's queue in order while its head is ready: through
     * {@code last} when given, else through sequence number {@code upTo}; a publisher ({@code giveWay}) stops
     * early when a session waits for the shard. Without {@code help}, a publisher delivers only its own
     * publication ({@code last}) and leaves the shard when another's is ahead of it: that one's publisher
     * is delivering it shard by shard, and the sessions it reaches are in that thread's caches (publishers
     * side by side then go through the shards one behind the other). A publisher that made no progress for
     * a while helps ({@link #HELP_AFTER}). Does nothing when called again from inside a delivery on
     * the same thread.
     *
     * @return -1 when nothing was delivered, else the sessions {@code last} reached here when this call
     *         delivered it (0 when it did not): the caller's own count, which no other thread writes; what a
     *         publication reached where another thread delivered it is added to its {@link Pending#reachedElsewhere(int)}
     */
    private int deliverQueued(Shard shard, @Nullable Pending last, long upTo, boolean giveWay, boolean help) {
        if (shard.draining) {
            return -1;
        }
        shard.draining = true;
        boolean any = false;
        int own = 0;
        try {
            Pending head;
            long bit = 1L << shard.index;
            while ((head = shard.peek()) != null && (last != null || head.seq <= upTo)) {
                if (last != null && (last.left() & bit) == 0) {
                    break; // delivered here by another thread meanwhile
                }
                if (last != null && head != last && !help) {
                    break; // another publisher's, which it is about to deliver itself: its sessions stay in its caches
                }
                if (!head.ready() && !(help && head != last && helpEncode(head))) {
                    break; // its publisher is encoding it (a stalled one's, another publisher encodes after a while)
                }
                try {
                    int r = deliver(shard, head);
                    if (head == last) {
                        own = r;
                    } else if (r > 0) {
                        head.reachedElsewhere(r);
                    }
                } finally {
                    shard.poll();
                    head.doneIn(shard.index);
                }
                any = true;
                if (head == last || giveWay && shard.waiting() > 0) {
                    break;
                }
            }
        } finally {
            shard.draining = false;
        }
        return any ? own : -1;
    }

    /** Caller holds the shard's lock: one publication (or a reset) to the shard's sessions it reaches. */
    private int deliver(Shard shard, Pending p) {
        int k = shard.index;
        shard.lastSeq = p.seq;
        shard.lastTs = Math.max(shard.lastTs, p.ts);
        if (p.reset != null) {
            for (Session session : hub.shardView(k)) {
                if (p.partition >= 0) { // one partition's reset: the node's own numbering goes on
                    if (session.partition != p.partition) {
                        continue;
                    }
                    if (p.newEpoch) {
                        session.partitionStart = null;
                        session.replayedFrom = Long.MAX_VALUE;
                    }
                } else if (p.newEpoch) {
                    session.skipThrough = -1; // a position in the old numbering
                    session.replayedFrom = Long.MAX_VALUE;
                    session.connectedSeq = -1;
                }
                session.send(p.reset);
            }
            return 0;
        }
        long pseq = -1;
        if (p.external != null) {
            pseq = p.external.seq();
            shard.partitionLast(p.partition, partitionApplied.length, p.external);
        }
        Target target = p.publication.target();
        Set<String> excluded = target.excludeClients();
        @Nullable Frame[] frames = p.frames();
        int[] delivered = DELIVERED.get(); // this thread's own (not the shard's: its line would follow the shard's holder)
        int reached = 0;
        if (target.all()) {
            int stream = frames.length - 1;
            reached = deliver(hub.shardView(k), frames[stream], p.seq, p.partition, pseq, excluded, null, delivered);
            if (reached > 0) {
                p.streamReached[stream] = true;
            }
        } else {
            // a session reached through several of the target's streams gets the message once; one stream needs no check
            int streams = target.groups().size() + target.uids().size() + target.clients().size();
            Set<Session> seen = streams > 1 ? new HashSet<>() : null;
            int stream = 0;
            List<String> groups = target.groups();
            for (int i = 0; i < groups.size(); i++, stream++) {
                int r = deliver(hub.shardGroupView(k, groups.get(i)), frames[stream], p.seq, p.partition, pseq,
                        excluded, seen, delivered);
                if (r > 0) {
                    p.streamReached[stream] = true;
                    reached += r;
                }
            }
            List<String> uids = target.uids();
            long ttlMillis = p.publication.ttlSeconds() * 1000L;
            for (int i = 0; i < uids.size(); i++, stream++) {
                if (p.uidShards[i] != k) {
                    continue;
                }
                Set<Session> sessions = hub.uidView(uids.get(i));
                Frame frame = frames[stream];
                boolean takes = false;
                for (Session session : sessions) {
                    takes |= p.seq > session.connectedSeq;
                }
                boolean hold = p.holdFor == null ? !takes : p.holdFor.contains(uids.get(i));
                if (hold && ttlMillis > 0 && frame != null) {
                    history.holdForOffline(uids.get(i), new Entry(p.seq, p.ts, p.ts + ttlMillis, frame));
                }
                p.uidOnline[i] = !sessions.isEmpty();
                int r = deliver(sessions, frame, p.seq, p.partition, pseq, excluded, seen, delivered);
                if (r > 0) {
                    p.streamReached[stream] = true;
                    reached += r;
                }
            }
            List<String> clients = target.clients();
            for (int i = 0; i < clients.size(); i++, stream++) {
                if (p.clientShards[i] != k) {
                    continue;
                }
                Session session = hub.client(clients.get(i));
                if (session != null && session.shard == k) {
                    int r = deliver(List.of(session), frames[stream], p.seq, p.partition, pseq, excluded, seen, delivered);
                    if (r > 0) {
                        p.streamReached[stream] = true;
                        reached += r;
                    }
                }
            }
        }
        if (reached > 0) {
            meters.delivered(delivered, COUNTS_FROM); // and clears it
        }
        return reached;
    }

    /** Ints in 64 bytes. */
    private static final int COUNTS_FROM = 16;
    /**
     * Per thread, per meter slot from {@link #COUNTS_FROM}, the sessions one delivery reached: all zero between
     * deliveries. The counts sit 64 bytes from either end of the array. Each thread's array is its own, but
     * it is written once per session reached, and the collector may copy the threads' arrays (small, made
     * one after the other) next to each other: two threads delivering would then write one line on every
     * session they reach.
     */
    private static final ThreadLocal<int[]> DELIVERED =
            ThreadLocal.withInitial(() -> new int[COUNTS_FROM + NodeMeters.MAX_TRANSPORTS + COUNTS_FROM]);
    private static final int[] NO_SHARDS = new int[0];
    
    /**
     * @param partition the only partition whose sessions it is for (a partition's copy of a group or all message), or -1
     * @param pseq      a partition's copy's number there, or -1
     */
    private static int deliver(Collection<Session> sessions, @Nullable Frame frame, long seq, int partition, long pseq,
                               Set<String> excluded, @Nullable Set<Session> seen, int[] delivered) {
        if (frame == null) {
            return 0; // its encoding failed; the publisher was told
        }
        int reached = 0;
        for (Session session : sessions) {
            if (seq <= session.connectedSeq) {
                continue; // before its welcome's cursor: in history, for a replay
            }
            if (partition >= 0 && session.partition != partition) {
                continue; // another partition's copy reaches it
            }
            if (!excluded.isEmpty() && excluded.contains(session.clientId())) {
                continue;
            }
            if (seq <= session.skipThrough || pseq >= 0 && pseq <= session.partitionFloor()) {
                continue; // its cursor, from a node further along, already covers it
            }
            if (seen != null && !seen.add(session)) {
                continue;
            }
            if (session.send(frame)) {
                reached++;
                delivered[COUNTS_FROM + session.meterSlot]++;
            }
        }
        return reached;
    }

    /** Closes every session of the uid. @return how many were closed */
    @Override
    public int kickUid(String uid) {
        Collection<Session> sessions = hub.sessionsOf(uid);
        sessions.forEach(s -> s.close(Disconnect.KICKED));
        return sessions.size();
    }

    /** @return whether the client was connected here */
    @Override
    public boolean kickClient(String clientId) {
        Session session = hub.client(clientId);
        if (session == null) {
            return false;
        }
        session.close(Disconnect.KICKED);
        return true;
    }

    /** The node's operational counters, for a metrics adapter. */
    @Override
    public NodeMeters meters() {
        return meters;
    }

    /** Publishes accepted by this node since start (alone: every publish; in a cluster: those it took in). */
    @Override
    public long publishedCount() {
        return messagesIn.total();
    }

    /** Messages queued to sessions here since start, one per session reached by a publish. */
    public long deliveredCount() {
        return messagesOut.total();
    }

    /** Sessions closed because their queue was full (4408). */
    @Override
    public long slowClosedCount() {
        return dropped.total();
    }

    /** Distinct uids with a session on this node now. */
    @Override
    public int localUidCount() {
        return hub.uidCount();
    }

    /** How late this node applied the latest publish from the cluster's broker; 0 alone. */
    @Override
    public long brokerLagMillis() {
        return brokerLagMillis;
    }

    @Override
    public NodeStats stats() {
        Map<String, Integer> byTransport = new HashMap<>();
        for (Session session : hub.allView()) {
            byTransport.merge(session.transportName(), 1, Integer::sum);
        }
        return new NodeStats(nodeId, hub.sessionCount(), byTransport, hub.uidCount(), hub.groupCount(),
                messagesIn.total(), messagesOut.total(), messagesIn.perSecond(), messagesOut.perSecond(),
                dropped.total(), brokerLagMillis, gapResets, startedAt, heap.totalMemory() - heap.freeMemory(),
                heap.maxMemory(), accepting, NodeStats.BROKER_UNKNOWN, // the broker puts in its state
                brokerEntriesRead.get(), brokerMessagesRead.get());
    }

    public boolean isAccepting() {
        return accepting;
    }

    /** Accepts sessions again after a {@link #drain}: the application was stopped and started again. */
    public void reopen() {
        pos.lock();
        try {
            accepting = true;
        } finally {
            pos.unlock();
        }
    }

    /**
     * Graceful stop: refuse new sessions, let every session write what is queued and close with 1001,
     * then wait until all are gone or the grace period ends.
     *
     * @return whether every session closed within the grace period
     */
    public boolean drain(Duration grace) {
        pos.lock();
        try {
            accepting = false;
        } finally {
            pos.unlock();
        }
        for (Shard shard : shards) { // a connect past its check holds its shard until it has registered
            shard.lockForSession();
            shard.unlock();
        }
        for (Session session : hub.allSessions()) {
            if (session.polling()) {
                session.close(Disconnect.SHUTDOWN); // nothing queued: its messages are in history
            } else {
                session.closeAfterFlush(Disconnect.SHUTDOWN);
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (drained) {
            while (hub.sessionCount() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    drained.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        boolean clean = hub.sessionCount() == 0;
        for (Session session : hub.allSessions()) { // stuck peers: cut them
            session.close(Disconnect.SHUTDOWN);
        }
        return clean;
    }

    @Override
    public void close() {
        sampler.dispose();
    }

    /**
     * The sequence lock, and apart from it what it guards that every publish writes (the position and the
     * ticket count): each on a line that no other object's writes share, and not one line for both. A
     * publisher waiting for the lock reads its word over and over; with the position on that line, each of
     * those reads would take the line from the holder in the middle of its writes, and the lock would be
     * held longer the more it is wanted. With a {@code ReentrantLock} and the position apart it moved three
     * lines.
     *
     * <p>The fields sit between paddings of 64 bytes, each in a class of its own: the JVM lays out a
     * superclass's fields before a subclass's, but puts a small field in any gap before that, such as the
     * four bytes after the object's header; {@link Padding} fills that gap, so no field of this class lands
     * on the line of the object allocated before it ({@code PaddingTests} checks the offsets).
     *
     * <p>The lock spins, then yields, then parks for 20 µs at a time ({@link Commits#backoff}): it is held for
     * a few hundred nanoseconds, except by {@link #adopt} and {@link #lostEntries} in a cluster, which wait
     * for publishers to finish their history appends. Not reentrant; nothing takes it twice.
     */
    private abstract static class PositionLock extends Padding {
        @SuppressWarnings("unused") // through LOCKED
        volatile int locked;
    }

    private abstract static class PositionLockPadding extends PositionLock {
        @SuppressWarnings("unused")
        private long m1, m2, m3, m4, m5, m6, m7, m8;
    }

    private abstract static class PositionFields extends PositionLockPadding {
        /** Written under the lock; read without it too. */
        volatile long lastSeq;
        /** Guarded by the lock. */
        long lastTs;
        /** The last ticket issued ({@link Commits}); guarded by the lock. */
        long issued;
    }

    static final class Position extends PositionFields {
        private static final VarHandle LOCKED;

        static {
            try {
                LOCKED = MethodHandles.lookup().findVarHandle(PositionLock.class, "locked", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7, q8;

        void lock() {
            if (!LOCKED.compareAndSet(this, 0, 1)) {
                int spins = 0;
                do {
                    Commits.backoff(spins++);
                } while (locked != 0 || !LOCKED.compareAndSet(this, 0, 1));
            }
        }

        void unlock() {
            LOCKED.setRelease(this, 0);
        }
    }

    private static final class LoggerHolder {
        static final System.Logger LOG = System.getLogger(PushNode.class.getName());
    }
}
