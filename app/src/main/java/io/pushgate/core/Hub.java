package io.pushgate.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * The node-local index of sessions: by client id, by uid and by group.
 *
 * <p>Reads (fan-out, presence) are lock-free over concurrent maps. Changes (register, join, leave,
 * unregister) take one monitor so the three indexes and each session's group set never disagree;
 * they are rare next to deliveries. Empty uid and group entries are removed, so a group exists only
 * while it has members here.
 */
public final class Hub {

    private final Map<String, Session> clients = new ConcurrentHashMap<>();
    // hash maps, not sorted ones: every publish looks its uids up here, and ordered presence pages come
    // from the Roster
    /** Each uid's sessions: immutable sets, replaced on each change (see {@link SmallSets}). */
    private final Map<String, Set<Session>> uids = new ConcurrentHashMap<>();
    private final Map<String, Set<Session>> groups = new ConcurrentHashMap<>();
    /** Groups the backend put a uid in: applied to the uid's sessions now and to those that come later. */
    private final Map<String, Set<String>> uidGroups = new ConcurrentHashMap<>();
    private final Limits limits;
    private final SessionEvents events;
    /** Each shard's sessions, and its sessions by group: what one shard's deliveries iterate (see {@link PushNode}). */
    private final Set<Session>[] shardAll;
    private final Map<String, Set<Session>>[] shardGroups;
    private final Placement placement;

    /**
     * Hears, under the hub's lock, when a shard gets its first member of a group or loses its last, so the
     * node knows which shards a publish to the group may reach. Called after the member is indexed in the
     * shard (first member) and after it is removed from it (last member).
     */
    interface Placement {
        Placement NONE = (group, shard, present) -> { };

        void present(String group, int shard, boolean present);
    }

    public Hub(Limits limits) {
        this(limits, SessionEvents.NONE);
    }

    public Hub(Limits limits, SessionEvents events) {
        this(limits, events, 1, Placement.NONE);
    }

    @SuppressWarnings("unchecked") // arrays of generic sets, made and read here only
    Hub(Limits limits, SessionEvents events, int shards, Placement placement) {
        if (shards < 1 || shards > 64) {
            throw new IllegalArgumentException("shards must be 1 to 64, was " + shards);
        }
        this.limits = limits;
        this.events = events;
        this.placement = placement;
        this.shardAll = new Set[shards];
        this.shardGroups = new Map[shards];
        for (int i = 0; i < shards; i++) {
            shardAll[i] = ConcurrentHashMap.newKeySet();
            shardGroups[i] = new ConcurrentHashMap<>();
        }
    }

    /** How many shards the sessions are split into. */
    int shards() {
        return shardAll.length;
    }

    /** The shard of every session of the uid: a spread hash of the uid, so one uid's sessions share a shard. */
    int shardOf(String uid) {
        int h = uid.hashCode();
        h ^= h >>> 16;
        h *= 0x45d9f3b;
        h ^= h >>> 16;
        return Math.floorMod(h, shardAll.length);
    }

    /** The shard's sessions: a live view for its deliveries. */
    Set<Session> shardView(int shard) {
        return shardAll[shard];
    }

    /** Runs {@code action} while no session registers, joins, leaves or unregisters. */
    synchronized void whileUnchanged(Runnable action) {
        action.run();
    }

    /** The shard's members of the group: a live view for its deliveries. */
    Set<Session> shardGroupView(int shard, String group) {
        return shardGroups[shard].getOrDefault(group, Set.of());
    }

    private void indexInShard(Session session, String group) {
        Set<Session> members = shardGroups[session.shard].computeIfAbsent(group, k -> ConcurrentHashMap.newKeySet());
        boolean first = members.isEmpty();
        members.add(session);
        if (first) {
            placement.present(group, session.shard, true);
        }
    }

    private void unindexInShard(Session session, String group) {
        Map<String, Set<Session>> index = shardGroups[session.shard];
        Set<Session> members = index.get(group);
        if (members != null) {
            members.remove(session);
            if (members.isEmpty()) {
                index.remove(group, members);
                placement.present(group, session.shard, false);
            }
        }
    }

    /** Outcome of a join. */
    public enum Join { JOINED, ALREADY_MEMBER, TOO_MANY_GROUPS }

    /**
     * Adds a session, in the groups its claims and the backend's uid memberships name (up to the group
     * limit). {@code greet} runs after the session's groups are set and indexed in its shard (and the node
     * told which shards hold which groups, {@link Placement}), and before the session is in any other
     * index; the node holds the session's shard while it registers, so no delivery reaches the session
     * before its greeting, which is therefore always its first frame.
     *
     * @return {@code false} when the uid already holds {@link Limits#sessionsPerUid()} sessions; the
     * session is then not registered and not greeted
     */
    public synchronized boolean register(Session session, java.util.function.Consumer<Session> greet) {
        Set<Session> mine = uids.get(session.uid());
        if (mine != null && mine.size() >= limits.sessionsPerUid()) {
            return false;
        }
        Set<String> wanted = new java.util.LinkedHashSet<>(session.claims().groups());
        wanted.addAll(uidGroups.getOrDefault(session.uid(), Set.of()));
        Set<String> joined = Set.of();
        for (String group : wanted) {
            if (joined.size() >= limits.groupsPerSession()) {
                break;
            }
            joined = SmallSets.with(joined, group);
        }
        session.groups(joined);
        session.shard = shardOf(session.uid());
        for (String group : joined) {
            indexInShard(session, group);
        }
        clients.put(session.clientId(), session); // before the greeting reads its position: a publish to the client after it finds it
        greet.accept(session);
        shardAll[session.shard].add(session);
        uids.compute(session.uid(), (uid, sessions) -> SmallSets.with(sessions == null ? Set.of() : sessions, session));
        for (String group : session.groups()) {
            groups.computeIfAbsent(group, k -> ConcurrentHashMap.newKeySet()).add(session);
        }
        events.connected(session);
        return true;
    }

    /** Removes a session from every index; safe to call twice. @return whether it was registered until now */
    public synchronized boolean unregister(Session session) {
        if (!clients.remove(session.clientId(), session)) {
            return false;
        }
        uids.computeIfPresent(session.uid(), (uid, sessions) -> {
            Set<Session> left = SmallSets.without(sessions, session);
            return left.isEmpty() ? null : left;
        });
        shardAll[session.shard].remove(session);
        for (String group : session.groups()) {
            removeFrom(groups, group, session);
            unindexInShard(session, group);
        }
        events.disconnected(session);
        session.groups(Set.of());
        return true;
    }

    public synchronized Join join(Session session, String group) {
        if (session.groups().contains(group)) {
            return Join.ALREADY_MEMBER;
        }
        if (session.groups().size() >= limits.groupsPerSession()) {
            return Join.TOO_MANY_GROUPS;
        }
        if (!clients.containsKey(session.clientId())) {
            return Join.ALREADY_MEMBER; // closed meanwhile: nothing to index
        }
        session.groups(SmallSets.with(session.groups(), group));
        groups.computeIfAbsent(group, k -> ConcurrentHashMap.newKeySet()).add(session);
        indexInShard(session, group);
        events.joined(session, group);
        return Join.JOINED;
    }

    /** Replaces the session's data. @return whether the session is registered here (else nothing changed) */
    public synchronized boolean setData(Session session, @org.jspecify.annotations.Nullable String data) {
        if (!clients.containsKey(session.clientId())) {
            return false;
        }
        session.data(data);
        events.dataChanged(session);
        return true;
    }

    /** @return whether the session was in the group */
    public synchronized boolean leave(Session session, String group) {
        if (!session.groups().contains(group)) {
            return false;
        }
        session.groups(SmallSets.without(session.groups(), group));
        removeFrom(groups, group, session);
        unindexInShard(session, group);
        events.left(session, group);
        return true;
    }

    /**
     * Throws when putting the uid in the group would pass a membership cap of {@link Limits}: the uid is
     * in {@link Limits#groupsPerUid()} groups already, or it is a new uid and {@link Limits#membershipUids()}
     * uids hold memberships. A membership the uid already has always passes (joins are idempotent).
     *
     * @throws MembershipLimitException naming the cap reached
     */
    public synchronized void checkUidMembership(String uid, String group) {
        Set<String> assigned = uidGroups.get(uid);
        if (assigned == null) {
            if (uidGroups.size() >= limits.membershipUids()) {
                throw new MembershipLimitException(MembershipLimitException.Kind.MEMBERSHIP_UIDS,
                        "memberships are held for the maximum of " + limits.membershipUids()
                                + " uids; delete some before adding another uid");
            }
        } else if (!assigned.contains(group) && assigned.size() >= limits.groupsPerUid()) {
            throw new MembershipLimitException(MembershipLimitException.Kind.GROUPS_PER_UID,
                    "the uid is already in the maximum of " + limits.groupsPerUid() + " groups");
        }
    }

    /**
     * {@link #joinUid} within the membership caps, as one step. @return sessions that joined now
     *
     * @throws MembershipLimitException when a cap is reached; nothing changed
     */
    public synchronized int joinUidWithinLimits(String uid, String group) {
        checkUidMembership(uid, group);
        return joinUid(uid, group);
    }

    /**
     * Puts every session of the uid in the group, now and on later connects, without checking the
     * membership caps: for memberships another node already admitted. @return sessions that joined now
     */
    public synchronized int joinUid(String uid, String group) {
        uidGroups.computeIfAbsent(uid, k -> ConcurrentHashMap.newKeySet()).add(group);
        int joined = 0;
        for (Session session : sessionsOf(uid)) {
            if (join(session, group) != Join.TOO_MANY_GROUPS) {
                joined++;
            }
        }
        return joined;
    }

    /** Takes every session of the uid out of the group and forgets the uid's membership. @return sessions that left */
    public synchronized int leaveUid(String uid, String group) {
        Set<String> assigned = uidGroups.get(uid);
        if (assigned != null) {
            assigned.remove(group);
            if (assigned.isEmpty()) {
                uidGroups.remove(uid);
            }
        }
        int left = 0;
        for (Session session : sessionsOf(uid)) {
            if (leave(session, group)) {
                left++;
            }
        }
        return left;
    }

    public @Nullable Session client(String clientId) {
        return clients.get(clientId);
    }

    public Collection<Session> sessionsOf(String uid) {
        Set<Session> sessions = uids.get(uid);
        return sessions == null ? List.of() : List.copyOf(sessions);
    }

    public Collection<Session> members(String group) {
        Set<Session> sessions = groups.get(group);
        return sessions == null ? List.of() : List.copyOf(sessions);
    }

    /** Live views for fan-out: iterate, do not keep. */
    Set<Session> uidView(String uid) {
        return uids.getOrDefault(uid, Set.of());
    }

    Set<Session> groupView(String group) {
        return groups.getOrDefault(group, Set.of());
    }

    Collection<Session> allView() {
        return clients.values();
    }

    public int sessionCount() {
        return clients.size();
    }

    public int uidCount() {
        return uids.size();
    }

    public int groupCount() {
        return groups.size();
    }

    /**
     * Runs {@code action} with every session and the backend's uid memberships, while no change can
     * happen: a listener that queues {@code action}'s output is ordered with the {@link SessionEvents}.
     */
    public synchronized void snapshot(java.util.function.BiConsumer<List<Session>, Map<String, Set<String>>> action) {
        Map<String, Set<String>> memberships = new java.util.HashMap<>();
        uidGroups.forEach((uid, groupNames) -> memberships.put(uid, Set.copyOf(groupNames)));
        action.accept(new ArrayList<>(clients.values()), memberships);
    }

    /** The groups the backend put the uid in. */
    public Set<String> groupsOfUid(String uid) {
        Set<String> assigned = uidGroups.get(uid);
        return assigned == null ? Set.of() : Set.copyOf(assigned);
    }

    public List<Session> allSessions() {
        return new ArrayList<>(clients.values());
    }

    private static void removeFrom(Map<String, Set<Session>> index, String key, Session session) {
        Set<Session> sessions = index.get(key);
        if (sessions != null) {
            sessions.remove(session);
            if (sessions.isEmpty()) {
                index.remove(key, sessions);
            }
        }
    }
}
