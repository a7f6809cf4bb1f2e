package io.pushgate.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import org.jspecify.annotations.Nullable;

/**
 * Who is connected to the whole cluster: every session of every node by client id, uid and group,
 * as plain names. Presence answers come from here, so they agree on every node.
 *
 * <p>On a node alone it mirrors the {@link Hub} synchronously. In a cluster, this node's changes are
 * applied at once and other nodes' changes arrive through the broker, in the order they were made;
 * every change is idempotent, so a snapshot followed by changes already in it converges.
 *
 * <p>Reads are lock-free over concurrent maps; changes take one monitor.
 */
public final class Roster {

    /** One session somewhere in the cluster; {@code groups} is immutable (a join or leave replaces the member). */
    public record Member(String clientId, String uid, String node, Set<String> groups) {
    }

    private final Map<String, Member> clients = new ConcurrentHashMap<>();
    /** Each uid's client ids: immutable sets, replaced on each change (see {@link SmallSets}). */
    private final NavigableMap<String, Set<String>> uids = new ConcurrentSkipListMap<>();
    private final NavigableMap<String, Map<String, String>> groups = new ConcurrentSkipListMap<>();
    private final Map<String, Set<String>> nodes = new ConcurrentHashMap<>();
    /** Session data by client id, for the sessions that have any (most have none). */
    private final Map<String, String> data = new ConcurrentHashMap<>();
    /** Per node that is restating: its sessions not restated yet, and how many more it said it restates. */
    private final Map<String, PendingRestate> restating = new java.util.HashMap<>();
    /** Told of every group change under this monitor; replaced, never changed in place. */
    private volatile List<GroupWatcher> watchers = List.of();
    /** Whether this node tells the changes applied now (see {@link GroupWatcher}); guarded by this. */
    private boolean teller = true;

    /**
     * From now on {@code watcher} hears every change to groups' members (see {@link GroupWatcher}); it is
     * told first of every member there is, as if each had just joined.
     */
    public synchronized void watch(GroupWatcher watcher) {
        groups.forEach((group, members) -> members.keySet().forEach(clientId ->
                watcher.changed(group, clientId, true, data.get(clientId), false))); // known already: no news
        List<GroupWatcher> more = new ArrayList<>(watchers);
        more.add(watcher);
        watchers = List.copyOf(more);
    }

    private void tell(String group, String clientId, boolean in, @Nullable String sessionData) {
        for (GroupWatcher watcher : watchers) {
            watcher.changed(group, clientId, in, sessionData, teller);
        }
    }

    /**
     * Applies {@code change} (calls of this roster) with its watchers told that this node is, or is not, the
     * teller of what it changes. Outside it, every change is this node's to tell.
     */
    synchronized void applyAs(boolean tellerHere, Runnable change) {
        boolean before = teller;
        teller = tellerHere;
        try {
            change.run();
        } finally {
            teller = before;
        }
    }

    public synchronized void connected(String clientId, String uid, String node, Set<String> groupNames) {
        connected(clientId, uid, node, groupNames, null);
    }

    /** @param sessionData the session's data (a JSON object's text), or {@code null} for none */
    public synchronized void connected(String clientId, String uid, String node, Set<String> groupNames,
                                       @Nullable String sessionData) {
        if (clients.containsKey(clientId)) {
            dataChanged(clientId, sessionData); // a restate repeats a session: its data may have changed meanwhile
            return;
        }
        if (sessionData != null) {
            data.put(clientId, sessionData);
        }
        clients.put(clientId, new Member(clientId, uid, node, Set.of()));
        uids.compute(uid, (k, ids) -> SmallSets.with(ids == null ? Set.of() : ids, clientId));
        nodes.computeIfAbsent(node, k -> ConcurrentHashMap.newKeySet()).add(clientId);
        for (String group : groupNames) {
            joined(clientId, group);
        }
    }

    public synchronized void disconnected(String clientId) {
        Member member = clients.remove(clientId);
        if (member == null) {
            return;
        }
        String lastData = data.remove(clientId);
        uids.computeIfPresent(member.uid(), (k, ids) -> {
            Set<String> left = SmallSets.without(ids, clientId);
            return left.isEmpty() ? null : left;
        });
        removeFrom(nodes, member.node(), clientId);
        for (String group : member.groups()) {
            Map<String, String> members = groups.get(group);
            if (members != null) {
                members.remove(clientId);
                if (members.isEmpty()) {
                    groups.remove(group, members);
                }
            }
            tell(group, clientId, false, lastData);
        }
    }

    public synchronized void joined(String clientId, String group) {
        Member member = clients.get(clientId);
        if (member != null && !member.groups().contains(group)) {
            clients.put(clientId, new Member(clientId, member.uid(), member.node(), SmallSets.with(member.groups(), group)));
            groups.computeIfAbsent(group, k -> new ConcurrentHashMap<>()).put(clientId, member.uid());
            tell(group, clientId, true, data.get(clientId));
        }
    }

    public synchronized void left(String clientId, String group) {
        Member member = clients.get(clientId);
        if (member != null && member.groups().contains(group)) {
            clients.put(clientId, new Member(clientId, member.uid(), member.node(), SmallSets.without(member.groups(), group)));
            Map<String, String> members = groups.get(group);
            if (members != null) {
                members.remove(clientId);
                if (members.isEmpty()) {
                    groups.remove(group, members);
                }
            }
            tell(group, clientId, false, data.get(clientId));
        }
    }

    /** The session's data is now {@code sessionData} ({@code null} for none); ignored for an unknown session. */
    public synchronized void dataChanged(String clientId, @Nullable String sessionData) {
        Member member = clients.get(clientId);
        if (member == null) {
            return;
        }
        String before = sessionData == null ? data.remove(clientId) : data.put(clientId, sessionData);
        if (!java.util.Objects.equals(before, sessionData)) {
            for (String group : member.groups()) {
                tell(group, clientId, true, sessionData);
            }
        }
    }

    /** The session's data, or {@code null} when it has none or is connected nowhere. */
    public @Nullable String data(String clientId) {
        return data.get(clientId);
    }

    /** Forgets every session of a node: it stopped or died. */
    public synchronized void nodeGone(String node) {
        restating.remove(node);
        Set<String> ids = nodes.get(node);
        if (ids != null) {
            for (String clientId : List.copyOf(ids)) {
                disconnected(clientId);
            }
        }
    }

    /**
     * {@code node} restates its sessions: the next {@code sessions} calls of {@link #restated} for it are all
     * it holds. Its sessions stay members meanwhile; those it does not restate go once the last one has come.
     * A restate that starts again before it ended (Redis failed during it) waits for the new count.
     */
    public synchronized void restating(String node, int sessions) {
        restating.put(node, new PendingRestate(new java.util.HashSet<>(nodes.getOrDefault(node, Set.of())), sessions));
        endRestateWhenComplete(node);
    }

    /**
     * One session {@code node} restated: connected if it is new here, otherwise brought to the stated groups
     * and data, so a {@link GroupWatcher} hears only the joins, leaves and data changes of the gap.
     */
    public synchronized void restated(String clientId, String uid, String node, Set<String> groupNames,
                                      @Nullable String sessionData) {
        Member member = clients.get(clientId);
        if (member == null) {
            connected(clientId, uid, node, groupNames, sessionData);
        } else {
            for (String group : member.groups()) {
                if (!groupNames.contains(group)) {
                    left(clientId, group);
                }
            }
            dataChanged(clientId, sessionData);
            for (String group : groupNames) {
                joined(clientId, group);
            }
        }
        PendingRestate pending = restating.get(node);
        if (pending != null) {
            pending.unconfirmed.remove(clientId);
            pending.toCome--;
            endRestateWhenComplete(node);
        }
    }

    /**
     * Forgets {@code node}'s sessions, as {@link #nodeGone} would, if it is still awaited with
     * {@link #restating}{@code (node, Integer.MAX_VALUE)} and has not started a restate of its own since.
     *
     * @return whether it was still awaited
     */
    public synchronized boolean abandonRestate(String node) {
        PendingRestate pending = restating.get(node);
        if (pending == null || pending.toCome != Integer.MAX_VALUE) {
            return false;
        }
        nodeGone(node);
        return true;
    }

    private void endRestateWhenComplete(String node) {
        PendingRestate pending = restating.get(node);
        if (pending != null && pending.toCome <= 0) {
            restating.remove(node);
            pending.unconfirmed.forEach(this::disconnected);
        }
    }

    private static final class PendingRestate {
        final Set<String> unconfirmed;
        int toCome;

        PendingRestate(Set<String> unconfirmed, int toCome) {
            this.unconfirmed = unconfirmed;
            this.toCome = toCome;
        }
    }

    /** Sessions a publish to {@code target} reaches now, each counted once. */
    public int reach(Target target) {
        Set<String> excluded = target.excludeClients();
        if (target.all()) {
            return countExcept(clients.keySet(), excluded);
        }
        if (target.uids().size() == 1 && target.groups().isEmpty() && target.clients().isEmpty()) {
            return countExcept(uids.getOrDefault(target.uids().get(0), Set.of()), excluded); // the common case: no set built
        }
        Set<String> reached = new java.util.HashSet<>();
        for (String uid : target.uids()) {
            reached.addAll(uids.getOrDefault(uid, Set.of()));
        }
        for (String group : target.groups()) {
            reached.addAll(groups.getOrDefault(group, Map.of()).keySet());
        }
        for (String id : target.clients()) {
            if (clients.containsKey(id)) {
                reached.add(id);
            }
        }
        reached.removeAll(excluded);
        return reached.size();
    }

    private static int countExcept(Set<String> ids, Set<String> excluded) {
        int count = ids.size();
        for (String id : excluded) {
            if (ids.contains(id)) {
                count--;
            }
        }
        return count;
    }

    public boolean isOnline(String uid) {
        return uids.containsKey(uid);
    }

    public @Nullable Member client(String clientId) {
        return clients.get(clientId);
    }

    /** Client ids of the uid's sessions, sorted. */
    public List<String> sessionsOf(String uid) {
        Set<String> ids = uids.get(uid);
        return ids == null ? List.of() : List.copyOf(new TreeSet<>(ids));
    }

    /** Client id to uid for the group's member sessions. */
    public Map<String, String> members(String group) {
        Map<String, String> members = groups.get(group);
        return members == null ? Map.of() : Map.copyOf(members);
    }

    public int memberCount(String group) {
        Map<String, String> members = groups.get(group);
        return members == null ? 0 : members.size();
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

    public Set<String> nodes() {
        return Set.copyOf(nodes.keySet());
    }

    /** Sessions a node holds, as this roster knows them. */
    public List<Member> sessionsOn(String node) {
        Set<String> ids = nodes.getOrDefault(node, Set.of());
        List<Member> members = new ArrayList<>(ids.size());
        for (String id : ids) {
            Member member = clients.get(id);
            if (member != null) {
                members.add(member);
            }
        }
        return members;
    }

    /** Online uids in ascending order, strictly after {@code after} (null for the start), at most {@code limit}. */
    public List<String> onlineUids(@Nullable String after, int limit) {
        return page(uids, after, limit);
    }

    /** Groups with members, in ascending order, strictly after {@code after}, at most {@code limit}. */
    public List<String> groupNames(@Nullable String after, int limit) {
        return page(groups, after, limit);
    }

    private static List<String> page(NavigableMap<String, ?> index, @Nullable String after, int limit) {
        NavigableMap<String, ?> tail = after == null ? index : index.tailMap(after, false);
        List<String> names = new ArrayList<>(Math.min(limit, 256));
        for (String name : tail.keySet()) {
            if (names.size() == limit) {
                break;
            }
            names.add(name);
        }
        return names;
    }

    private static void removeFrom(Map<String, Set<String>> index, String key, String clientId) {
        Set<String> ids = index.get(key);
        if (ids != null) {
            ids.remove(clientId);
            if (ids.isEmpty()) {
                index.remove(key, ids);
            }
        }
    }
}
