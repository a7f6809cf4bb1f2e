package io.pushgate.core;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * What the HTTP API may read from its node: presence and bans. Presence covers the whole cluster (this
 * node alone when it runs alone), so every node answers alike; lists are sorted, pages hold names
 * strictly after {@code after}. Changes (publish, membership, kicks, bans) go through the {@link Broker}.
 */
public interface ApiRole {

    /** Client ids of the uid's sessions, sorted; empty when it is offline. */
    List<String> sessionsOfUid(String uid);

    /** Online uids in ascending order after {@code after} (null for the start), at most {@code limit}. */
    List<String> onlineUids(@Nullable String after, int limit);

    int onlineUidCount();

    /** Client id to uid for the group's member sessions; empty when it has none. */
    Map<String, String> groupMembers(String group);

    int groupMemberCount(String group);

    /** Groups with members in ascending order after {@code after} (null for the start), at most {@code limit}. */
    List<String> groupNames(@Nullable String after, int limit);

    int groupCount();

    /** The uid of a connected client, or {@code null} when no session has that id. */
    @Nullable String uidOfClient(String clientId);

    /**
     * The client's session data as a JSON object's text ({@code "{}"} when none was set), wherever in the
     * cluster it is connected; {@code null} when it is connected nowhere.
     */
    @Nullable String sessionData(String clientId);

    /** When the uid's ban ends (epoch ms), or 0 when it is not banned. */
    long bannedUntil(String uid);

    /**
     * One session of a uid, as an operator looks at it. The cluster shares who is connected where and in
     * which groups; how and since when only the node holding the session knows.
     *
     * @param transport   the transport's name, or null when the session is on another node
     * @param connectedAt when it opened (epoch ms), or 0 when the session is on another node
     */
    record SessionView(String clientId, String node, Set<String> groups, @Nullable String transport, long connectedAt) {
    }

    /** The uid's sessions on every node, by client id; empty when it is offline. */
    List<SessionView> sessionViews(String uid);

    /**
     * From now on {@code watcher} hears every change to the cluster's group members, with their session data,
     * in the order this node applies them (see {@link GroupWatcher}); for what an adapter derives from them.
     */
    void watchGroups(GroupWatcher watcher);

    /**
     * From now on {@code watcher} hears every change to the cluster's group members with whether this node is
     * the one to tell the outside world what it made happen, so exactly one node of a cluster tells it
     * (see {@link GroupWatcher#changed(String, String, boolean, String, boolean)}).
     */
    void watchGroupEdges(GroupWatcher watcher);
}
