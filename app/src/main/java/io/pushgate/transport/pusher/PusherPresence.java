package io.pushgate.transport.pusher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Who is in each presence channel on this node: channel, then client id, then the member its
 * {@code channel_data} named. A user with several connections in a channel is one member: it is added
 * with its first connection and removed with its last, so {@code member_added} and {@code member_removed}
 * go out once per user.
 *
 * <p>Node-local: in a cluster, each node knows only its own connections' members (the cluster's
 * {@code Roster} knows every connection's groups, not its {@code user_info}). Thread-safe.
 */
public final class PusherPresence {

    /**
     * One connection's member of a presence channel.
     *
     * @param userId   {@code channel_data.user_id}, as a string
     * @param infoJson {@code channel_data.user_info} as JSON text, {@code null} when there was none
     */
    public record Member(String userId, @Nullable String infoJson) {
    }

    private final Map<String, Map<String, Member>> channels = new HashMap<>();

    /**
     * Records the connection's member; a connection subscribing again replaces its member.
     *
     * @return whether the user had no other connection in the channel (a {@code member_added})
     */
    public synchronized boolean add(String channel, String clientId, Member member) {
        Map<String, Member> members = channels.computeIfAbsent(channel, c -> new LinkedHashMap<>());
        Member before = members.put(clientId, member);
        if (before != null && before.userId().equals(member.userId())) {
            return false; // the same subscription again
        }
        return !hasUser(members, member.userId(), clientId);
    }

    /** @return the member when this was its user's last connection in the channel (a {@code member_removed}) */
    public synchronized @Nullable Member remove(String channel, String clientId) {
        Map<String, Member> members = channels.get(channel);
        if (members == null) {
            return null;
        }
        Member gone = members.remove(clientId);
        if (members.isEmpty()) {
            channels.remove(channel);
        }
        return gone == null || hasUser(members, gone.userId(), null) ? null : gone;
    }

    /** The channel's users, each once, in the order they came, with their {@code user_info}. */
    public synchronized Map<String, @Nullable String> users(String channel) {
        Map<String, @Nullable String> users = new LinkedHashMap<>();
        for (Member m : channels.getOrDefault(channel, Map.of()).values()) {
            users.putIfAbsent(m.userId(), m.infoJson());
        }
        return users;
    }

    /** The client ids of the user's connections in any presence channel on this node, sorted. */
    public synchronized List<String> clientsOf(String userId) {
        java.util.TreeSet<String> clients = new java.util.TreeSet<>();
        for (Map<String, Member> members : channels.values()) {
            members.forEach((clientId, member) -> {
                if (member.userId().equals(userId)) {
                    clients.add(clientId);
                }
            });
        }
        return new ArrayList<>(clients);
    }

    /** The presence channels that have members, sorted. */
    public synchronized List<String> channels() {
        List<String> names = new ArrayList<>(channels.keySet());
        names.sort(null);
        return names;
    }

    private static boolean hasUser(Map<String, Member> members, String userId, @Nullable String otherThan) {
        for (Map.Entry<String, Member> e : members.entrySet()) {
            if (e.getValue().userId().equals(userId) && !e.getKey().equals(otherThan)) {
                return true;
            }
        }
        return false;
    }
}
