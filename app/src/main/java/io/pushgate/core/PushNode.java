package io.pushgate.core;

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
import java.util.concurrent.locks.ReentrantLock;


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
 * <li>Publishes are totally ordered: each takes the next sequence number, and recording plus fan-out
 * happen under one publish lock, so every session sees messages in sequence order and a message's id
 * (its cursor) only ever grows. The lock is held for queue offers only, never for I/O.
 * <li>Resuming from a cursor (on connect, or later) runs under the same lock, so the replay and the
 * live messages meet with no gap and no duplicate.
 * <li>A session whose queue is full is closed (4408); no publisher waits for it.
 * </ul>
 *
 * <p>Why one class of about 900 lines: everything that runs under the publish lock (publish, applying a
 * sequenced message, connect with its replay, resume, poll, adopting a log position, a gap's reset)
 * is here, so the ordering guarantees above can be checked in one file. About 150 lines are the
 * roles' one-line delegations to the hub, the roster and the bans. What needs no lock lives apart:
 * the cluster log's meaning in {@link ClusterLogApplier}, client rules in {@link ClientActions}, the
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
    private final ReentrantLock publishLock = new ReentrantLock();
    private final AtomicLong clientSeq = new AtomicLong();
    private long lastSeq;
    private long lastTs;
    private final Meter messagesIn = new Meter();
    private final Meter messagesOut = new Meter();
    private final Meter dropped = new Meter();
    private final NodeMeters meters = new NodeMeters();
    private final Object drained = new Object();
    private final Disposable sampler;
    private volatile boolean accepting = true;
    private final Roster roster = new Roster();
    private volatile SessionEvents cluster = SessionEvents.NONE;
    /** In a cluster, cursors come from every node's view of one sequence; see {@link #read}. */
    private volatile boolean clustered;
    private volatile long brokerLagMillis;
    /** Times {@link #lostEntries} sent every session here a reset. */
    private volatile long gapResets;
    private final Bans bans = new Bans(Bans.MAX_BANS);
    private final ClusterLogApplier clusterLog;
    private volatile BackendEvents backend = BackendEvents.NONE;
    private volatile BackendCalls calls = BackendCalls.NONE;
    /** Event ids: this node, when it started, then a count, so they stay unique when a node id comes back. */
    private final String eventIdPrefix;
    private final AtomicLong eventSeq = new AtomicLong();

    public PushNode(String nodeId, Limits limits, MessageEncoder encoder, History history, Clock clock) {
        this.nodeId = Names.require("node id", nodeId);
        this.limits = limits;
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
        });
        this.encoder = encoder;
        this.history = history;
        this.clock = clock;
        this.lastTs = clock.millis();
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
        publishLock.lock();
        try {
            history.adopt(epoch, completeAfter);
            lastSeq = Math.max(lastSeq, seq);
        } finally {
            publishLock.unlock();
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
        publishLock.lock();
        try {
            boolean newEpoch = !epoch.equals(history.epoch());
            history.adopt(epoch, completeAfter);
            lastSeq = newEpoch ? completeAfter : Math.max(lastSeq, completeAfter);
            Frame reset = encoder.reset(cursorNow().text());
            for (Session session : hub.allSessions()) {
                if (newEpoch) {
                    session.skipThrough = -1; // a position in the old numbering
                    session.replayedFrom = Long.MAX_VALUE;
                }
                session.send(reset); // after what it was sent before the gap, before anything after it
            }
            gapResets++;
        } finally {
            publishLock.unlock();
        }
    }

    /** The cursor just after the latest publish: where a client that has seen everything stands. */
    @Override
    public Cursor currentCursor() {
        publishLock.lock();
        try {
            return cursorNow();
        } finally {
            publishLock.unlock();
        }
    }

    /**
     * Timed now, not at the last publish: a cursor's time says how old it is, and one handed out on a
     * node that has been quiet for longer than the window must not be stale already. Caller holds the
     * publish lock; later publishes are never timed before it.
     */
    private Cursor cursorNow() {
        lastTs = Math.max(clock.millis(), lastTs);
        return new Cursor(history.epoch(), lastSeq, lastTs);
    }

    /**
     * History after {@code cursor} for the session. A cursor ahead of the latest publish applied here
     * is, alone, not ours to trust (reset); in a cluster it comes from a node that is further along,
     * so the session skips what the cursor covers when this node gets there.
     */
    private Replay read(Session session, Cursor cursor, int limit) {
        if (cursor.seq() <= lastSeq) {
            return history.readAfter(streams(session), cursor, limit);
        }
        if (!clustered || !cursor.epoch().equals(history.epoch())) {
            return Replay.RESET;
        }
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
                                     @Nullable Cursor resumeFrom) {
        return open(claims, transport, greeting, resumeFrom, true);
    }

    /**
     * Opens a long-poll session. It keeps no queue: each poll reads history after its cursor through
     * {@link #pollOrWait}, and the session only lives as long as the transport keeps it.
     */
    @Override
    public @Nullable Session connectPoller(ClientClaims claims, Transport transport) {
        return open(claims, transport, null, null, false);
    }

    private @Nullable Session open(ClientClaims claims, Transport transport, @Nullable Greeting greeting,
                                   @Nullable Cursor resumeFrom, boolean streaming) {
        String clientId = nodeId + "-" + Long.toString(clientSeq.incrementAndGet(), 36);
        int meterSlot = meters.slot(transport.name());
        publishLock.lock();
        try {
            if (!accepting) {
                return null;
            }
            if (bannedUntil(claims.uid()) > 0) {
                meters.authFailed(InvalidTokenException.Reason.BANNED);
                return null;
            }
            Cursor now = cursorNow();
            if (clustered && resumeFrom != null && resumeFrom.seq() > now.seq() && resumeFrom.epoch().equals(now.epoch())) {
                now = new Cursor(now.epoch(), resumeFrom.seq(), now.ts()); // never behind what the client holds
            }
            String cursor = now.text();
            Outlet own = streaming ? transport.outlet(limits.queueCapacity()) : null;
            Outlet outlet = !streaming ? new Doorbell() : own != null ? own : new Outbox(limits.queueCapacity());
            Session session = new Session(clientId, claims, transport, outlet, lastSeq, () -> dropped.mark(1));
            session.meterSlot = meterSlot;
            boolean registered = hub.register(session, s -> {
                if (greeting != null) {
                    s.sendFirst(greeting.welcome(s, cursor));
                }
                if (streaming) {
                    if (resumeFrom == null) {
                        sendHeld(s);
                    } else {
                        replay(s, resumeFrom, Long.MAX_VALUE, cursor); // a reset names the welcome's cursor
                    }
                }
            });
            if (!registered) {
                return null;
            }
            meters.connected(meterSlot);
            return session;
        } finally {
            publishLock.unlock();
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
    public int resume(Session session, Cursor cursor) {
        publishLock.lock();
        try {
            return replay(session, cursor, session.connectedSeq(), null);
        } finally {
            publishLock.unlock();
        }
    }

    /** Caller holds the publish lock; {@code resetCursor} null means timed now. */
    private int replay(Session session, Cursor cursor, long upToSeq, @Nullable String resetCursor) {
        Replay replay = read(session, cursor, Integer.MAX_VALUE);
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
            session.sendFirst(encoder.reset(resetCursor != null ? resetCursor : cursorNow().text()));
            sendHeld(session);
            return -1;
        }
        takeHeld(session.uid()); // they are in the uid's stream, replayed below if missed
        for (Entry entry : replay.entries()) {
            if (entry.seq() <= upTo && !session.sendFirst(entry.frame())) {
                return -1; // taken by a concurrent reply: the session was closed as slow (4408), and resumes
            }
        }
        session.replayedFrom = Math.min(session.replayedFrom, cursor.seq());
        return count;
    }

    /**
     * Queues what is held for the session's uid under a {@code ttl}, as much as its queue has room for;
     * the rest stays held for its next connection, so nothing held is dropped for want of room.
     */
    private void sendHeld(Session session) {
        List<Entry> held = takeHeld(session.uid());
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
     * {@code wake} armed to run at the session's next message. Atomic with publishing, so a message
     * published right after an empty answer always rings.
     */
    @Override
    public Replay pollOrWait(Session session, Cursor cursor, int limit, Runnable wake) {
        publishLock.lock();
        try {
            Replay replay = read(session, cursor, limit);
            if (!replay.reset() && replay.entries().isEmpty()) {
                session.arm(wake);
            }
            return replay;
        } finally {
            publishLock.unlock();
        }
    }

    /**
     * The cursor for a poll that waited and found nothing after {@code after}: the same position, timed
     * now, so a poller that keeps polling a quiet stream is never reset for the age of its cursor. When
     * something arrived meanwhile, {@code after} itself, so the next poll gets it.
     */
    @Override
    public Cursor idleCursor(Session session, Cursor after) {
        publishLock.lock();
        try {
            Cursor now = new Cursor(after.epoch(), after.seq(), Math.max(after.ts(), cursorNow().ts()));
            // the poll was armed since it checked the cursor's age: nothing it waited for can have expired
            Replay replay = history.readAfter(streams(session), now, 1);
            return replay.reset() || !replay.entries().isEmpty() ? after : now;
        } finally {
            publishLock.unlock();
        }
    }

    /** Caller holds the publish lock. In a cluster, the other nodes are told to drop their copies. */
    private List<Entry> takeHeld(String uid) {
        List<Entry> held = history.takeOffline(uid);
        if (!held.isEmpty()) {
            cluster.tookHeld(uid, lastSeq);
        }
        return held;
    }

    /** Another node delivered what was held for the uid up to {@code upToSeq}: drops this node's copies. */
    void dropHeld(String uid, long upToSeq) {
        publishLock.lock();
        try {
            history.dropOffline(uid, upToSeq); // in place: the later holds keep their age for the node-wide cap
        } finally {
            publishLock.unlock();
        }
    }

    /** The frames held for the uid under a ttl while it was offline; taken once. */
    @Override
    public List<Frame> takeOffline(String uid) {
        publishLock.lock();
        try {
            return takeHeld(uid).stream().map(Entry::frame).toList();
        } finally {
            publishLock.unlock();
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
     * Starts a heartbeat for every session of one transport: each tick, one ping frame carrying the
     * current cursor is encoded and handed to each of those sessions' transports, under the publish
     * lock, so the cursor never runs ahead of a message the session has not been given. One timer per
     * transport instead of one per session keeps idle sessions cheap.
     */
    @Override
    public Disposable heartbeats(String transport, Duration every) {
        return Flux.interval(every, every).subscribe(tick -> {
            publishLock.lock();
            try {
                Frame ping = encoder.ping(cursorNow().text());
                for (Session session : hub.allView()) {
                    if (session.transportName().equals(transport)) {
                        session.heartbeat(ping);
                    }
                }
            } finally {
                publishLock.unlock();
            }
        });
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
     * Publishes to the target's sessions on this node, which runs alone. Never blocks on I/O.
     *
     * @throws IllegalStateException in a cluster, where publishes go through the {@link Broker}
     */
    @Override
    public PublishResult publish(Publication publication) {
        if (clustered) {
            throw new IllegalStateException("this node is in a cluster: publish through its Broker");
        }
        long accepted = System.nanoTime();
        List<String> online = new ArrayList<>();
        List<String> offline = new ArrayList<>();
        int reached;
        String id;
        publishLock.lock();
        try {
            long seq = ++lastSeq;
            long ts = Math.max(clock.millis(), lastTs);
            lastTs = ts;
            id = new Cursor(history.epoch(), seq, ts).text();
            reached = apply(publication, seq, ts, id, null, online, offline, accepted);
        } finally {
            publishLock.unlock();
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
        long accepted = System.nanoTime();
        int reached;
        String id;
        publishLock.lock();
        try {
            if (seq <= lastSeq) {
                return null;
            }
            lastSeq = seq;
            lastTs = Math.max(lastTs, ts);
            id = new Cursor(history.epoch(), seq, ts).text();
            reached = apply(publication, seq, ts, id, holdFor, null, null, accepted);
        } finally {
            publishLock.unlock();
        }
        messagesOut.mark(reached);
        return id;
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

    /**
     * Records and delivers under the publish lock. Alone ({@code holdFor} null), uids without a session
     * here are offline and held for; in a cluster the broker says who is offline everywhere.
     */
    private int apply(Publication publication, long seq, long ts, String id, @Nullable Collection<String> holdFor,
                      @Nullable List<String> online, @Nullable List<String> offline, long acceptedNanos) {
        // deliveries per transport are counted in this array and added to the meters once per publish
        int[] delivered = new int[NodeMeters.MAX_TRANSPORTS];
        int reached = apply(publication, seq, ts, id, holdFor, online, offline, acceptedNanos, delivered);
        meters.delivered(delivered);
        return reached;
    }

    private int apply(Publication publication, long seq, long ts, String id, @Nullable Collection<String> holdFor,
                      @Nullable List<String> online, @Nullable List<String> offline, long acceptedNanos, int[] delivered) {
        Target target = publication.target();
        Set<String> excluded = target.excludeClients();
        long ttlMillis = publication.ttlSeconds() * 1000L;
        long keepUntil = ts + Math.max(history.window().toMillis(), ttlMillis);
        int reached = 0;
        if (target.all()) {
            Frame frame = record(publication, Address.ALL, seq, ts, keepUntil, id, acceptedNanos);
            reached = deliver(hub.allView(), frame, seq, excluded, null, delivered);
            if (online != null) {
                for (String uid : target.uids()) {
                    (hub.uidView(uid).isEmpty() ? offline : online).add(uid);
                }
            }
            return reached;
        }
        // a session reached through several of the target's streams gets the message once; one stream needs no check
        int streams = target.groups().size() + target.uids().size() + target.clients().size();
        Set<Session> seen = streams > 1 ? new HashSet<>() : null;
        for (String group : target.groups()) {
            Frame frame = record(publication, Address.group(group), seq, ts, keepUntil, id, acceptedNanos);
            reached += deliver(hub.groupView(group), frame, seq, excluded, seen, delivered);
        }
        for (String uid : target.uids()) {
            Frame frame = record(publication, Address.uid(uid), seq, ts, keepUntil, id, acceptedNanos);
            Set<Session> sessions = hub.uidView(uid);
            boolean hold = holdFor == null ? sessions.isEmpty() : holdFor.contains(uid);
            if (hold && ttlMillis > 0) {
                history.holdForOffline(uid, new Entry(seq, ts, ts + ttlMillis, frame));
            }
            if (online != null) {
                (sessions.isEmpty() ? offline : online).add(uid);
            }
            reached += deliver(sessions, frame, seq, excluded, seen, delivered);
        }
        for (String clientId : target.clients()) {
            Session session = hub.client(clientId);
            if (session != null) {
                Frame frame = record(publication, Address.client(clientId), seq, ts, keepUntil, id, acceptedNanos);
                reached += deliver(List.of(session), frame, seq, excluded, seen, delivered);
            }
        }
        return reached;
    }

    private Frame record(Publication publication, Address to, long seq, long ts, long keepUntil, String id,
                         long acceptedNanos) {
        Frame frame = encoder.encode(new Message(id, publication.event(), publication.dataJson(), to, ts));
        java.util.function.LongConsumer sink = meters.fanoutLatency();
        if (sink != null) {
            frame.sampleLatency(acceptedNanos, sink);
        }
        history.append(to, new Entry(seq, ts, keepUntil, frame));
        return frame;
    }

    private static int deliver(Collection<Session> sessions, Frame frame, long seq, Set<String> excluded,
                               @Nullable Set<Session> seen, int[] delivered) {
        int reached = 0;
        for (Session session : sessions) {
            if (!excluded.isEmpty() && excluded.contains(session.clientId())) {
                continue;
            }
            if (seq <= session.skipThrough) {
                continue; // its cursor, from a node further along, already covers it
            }
            if (seen != null && !seen.add(session)) {
                continue;
            }
            if (session.send(frame)) {
                reached++;
                delivered[session.meterSlot]++;
            }
        }
        if (reached == 0) {
            frame.unsample(); // no session to write it now: a replay much later must not count as fan-out
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
                heap.maxMemory(), accepting, NodeStats.BROKER_UNKNOWN); // the broker puts in its state
    }

    public boolean isAccepting() {
        return accepting;
    }

    /** Accepts sessions again after a {@link #drain}: the application was stopped and started again. */
    public void reopen() {
        publishLock.lock();
        try {
            accepting = true;
        } finally {
            publishLock.unlock();
        }
    }

    /**
     * Graceful stop: refuse new sessions, let every session write what is queued and close with 1001,
     * then wait until all are gone or the grace period ends.
     *
     * @return whether every session closed within the grace period
     */
    public boolean drain(Duration grace) {
        publishLock.lock();
        try {
            accepting = false;
        } finally {
            publishLock.unlock();
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

    private static final class LoggerHolder {
        static final System.Logger LOG = System.getLogger(PushNode.class.getName());
    }
}
