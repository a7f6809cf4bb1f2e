package io.pushgate.transport.pusher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

import io.pushgate.codec.RawJson;
import io.pushgate.core.GroupWatcher;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Who is in each presence channel of the whole cluster: channel, then client id, then the member its
 * {@code channel_data} named. A Pusher connection that subscribes to a presence channel keeps its member in
 * its session data, under {@value #DATA_KEY} then the channel ({@code {"pusher":{"presence-x":{"user_id":…,
 * "user_info":…}}}}), before it joins the channel's group; the session data travels with the session to
 * every node, so each node's roster knows every connection's member. This class derives the members from
 * the roster's changes ({@link GroupWatcher}), which every node applies in the same order.
 *
 * <p>A user with several connections in a channel is one member: it is added with its first connection
 * anywhere and removed with its last. Each node tells its own subscribed connections of those transitions
 * ({@code member_added}, {@code member_removed}); as every node sees the same transitions in the same order,
 * each connection of the cluster hears of each once. Thread-safe.
 */
public final class PusherPresence implements GroupWatcher {

    /** The session data member under which a Pusher connection keeps its presence members. */
    public static final String DATA_KEY = "pusher";

    static final String PREFIX = "presence-";

    /**
     * One connection's member of a presence channel.
     *
     * @param userId   {@code channel_data.user_id}, as a string
     * @param infoJson {@code channel_data.user_info} as JSON text, {@code null} when there was none
     */
    public record Member(String userId, @Nullable String infoJson) {
    }

    /** A connection of this node subscribed to a presence channel: told of members coming and going. */
    @FunctionalInterface
    public interface Subscriber {
        /** @param dataJson the event's data, a JSON object's text */
        void tell(String channel, String event, String dataJson);
    }

    private final JsonMapper mapper;
    private final Map<String, Map<String, Member>> channels = new HashMap<>();
    /** Channel, then client id: this node's connections subscribed to it. */
    private final Map<String, Map<String, Subscriber>> subscribers = new HashMap<>();

    public PusherPresence(JsonMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void changed(String group, String clientId, boolean in, @Nullable String data) {
        if (!group.startsWith(PREFIX)) {
            return;
        }
        Member now = in ? memberIn(data, group) : null;
        synchronized (this) {
            Map<String, Member> members = channels.get(group);
            Member before = members == null ? null : members.get(clientId);
            if (Objects.equals(before, now)) {
                return;
            }
            if (before != null) {
                members.remove(clientId);
                if (now != null && now.userId().equals(before.userId())) {
                    members.put(clientId, now); // the same user, new user_info: nobody is told
                    return;
                }
                if (members.isEmpty()) {
                    channels.remove(group);
                }
                if (!hasUser(channels.getOrDefault(group, Map.of()), before.userId())) {
                    tellAll(group, clientId, "pusher_internal:member_removed",
                            "{\"user_id\":" + mapper.writeValueAsString(before.userId()) + "}");
                }
            }
            if (now != null) {
                Map<String, Member> into = channels.computeIfAbsent(group, c -> new LinkedHashMap<>());
                boolean first = !hasUser(into, now.userId());
                into.put(clientId, now);
                if (first) {
                    tellAll(group, clientId, "pusher_internal:member_added", memberJson(now));
                }
            }
        }
    }

    /**
     * Subscribes a connection of this node to the channel's member changes from now on, and tells it first
     * {@code pusher_internal:subscription_succeeded} with the members now, so no change comes before it.
     */
    public synchronized void subscribe(String channel, String clientId, Subscriber subscriber) {
        subscribers.computeIfAbsent(channel, c -> new HashMap<>()).put(clientId, subscriber);
        subscriber.tell(channel, "pusher_internal:subscription_succeeded", presenceData(channel));
    }

    public synchronized void unsubscribe(String channel, String clientId) {
        Map<String, Subscriber> of = subscribers.get(channel);
        if (of != null) {
            of.remove(clientId);
            if (of.isEmpty()) {
                subscribers.remove(channel);
            }
        }
    }

    /** The channel's users, each once, in the order they came, with their {@code user_info}. */
    public synchronized Map<String, @Nullable String> users(String channel) {
        Map<String, @Nullable String> users = new LinkedHashMap<>();
        for (Member m : channels.getOrDefault(channel, Map.of()).values()) {
            users.putIfAbsent(m.userId(), m.infoJson());
        }
        return users;
    }

    /** The client ids of the user's connections in any presence channel of the cluster, sorted. */
    public synchronized List<String> clientsOf(String userId) {
        TreeSet<String> clients = new TreeSet<>();
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

    /**
     * The session data {@code data} with the connection's member of {@code channel} set ({@code member} not
     * {@code null}) or taken out; {@code null} when nothing is left.
     */
    public @Nullable String withMember(@Nullable String data, String channel, @Nullable Member member) {
        tools.jackson.databind.node.ObjectNode root;
        try {
            JsonNode parsed = data == null ? null : RawJson.read(mapper, data);
            root = parsed instanceof tools.jackson.databind.node.ObjectNode o ? o : mapper.createObjectNode();
        } catch (JacksonException e) {
            root = mapper.createObjectNode();
        }
        JsonNode ours = root.get(DATA_KEY);
        tools.jackson.databind.node.ObjectNode byChannel = ours instanceof tools.jackson.databind.node.ObjectNode o
                ? o : mapper.createObjectNode();
        if (member == null) {
            byChannel.remove(channel);
        } else {
            byChannel.set(channel, RawJson.read(mapper, memberJson(member)));
        }
        if (byChannel.isEmpty()) {
            root.remove(DATA_KEY);
        } else {
            root.set(DATA_KEY, byChannel);
        }
        return root.isEmpty() ? null : mapper.writeValueAsString(root);
    }

    /** {@code {"user_id":…,"user_info":…}} ({@code user_info} left out when there was none). */
    String memberJson(Member member) {
        return "{\"user_id\":" + mapper.writeValueAsString(member.userId())
                + (member.infoJson() == null ? "" : ",\"user_info\":" + member.infoJson()) + "}";
    }

    /** The member the session data names for the channel, or {@code null}. */
    @Nullable Member memberIn(@Nullable String data, String channel) {
        if (data == null || !data.contains(DATA_KEY)) {
            return null;
        }
        try {
            JsonNode member = RawJson.read(mapper, data).path(DATA_KEY).path(channel);
            JsonNode userId = member.path("user_id");
            if (!userId.isString() || userId.asString().isEmpty()) {
                return null;
            }
            return new Member(userId.asString(), RawJson.text(mapper, member.get("user_info")));
        } catch (JacksonException e) {
            return null;
        }
    }

    /** {@code {"presence":{"ids":[…],"hash":{id: info},"count":n}}}. */
    private String presenceData(String channel) {
        Map<String, @Nullable String> users = users(channel);
        StringBuilder ids = new StringBuilder("[");
        StringBuilder hash = new StringBuilder("{");
        for (Map.Entry<String, @Nullable String> user : users.entrySet()) {
            String id = mapper.writeValueAsString(user.getKey());
            if (ids.length() > 1) {
                ids.append(',');
                hash.append(',');
            }
            ids.append(id);
            hash.append(id).append(':').append(user.getValue() == null ? "null" : user.getValue());
        }
        return "{\"presence\":{\"ids\":" + ids + "],\"hash\":" + hash + "},\"count\":" + users.size() + "}}";
    }

    private void tellAll(String channel, String clientId, String event, String dataJson) {
        for (Map.Entry<String, Subscriber> s : subscribers.getOrDefault(channel, Map.of()).entrySet()) {
            if (!s.getKey().equals(clientId)) {
                s.getValue().tell(channel, event, dataJson);
            }
        }
    }

    private static boolean hasUser(Map<String, Member> members, String userId) {
        for (Member m : members.values()) {
            if (m.userId().equals(userId)) {
                return true;
            }
        }
        return false;
    }
}
