package io.pushgate.transport.pusher;

import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import io.pushgate.core.GroupWatcher;
import io.pushgate.events.Webhooks;
import io.pushgate.web.Signatures;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pusher's webhooks, as Pusher sends them to an app's webhook URL: {@code channel_occupied} and
 * {@code channel_vacated} when a channel gets its first connection anywhere in the cluster and loses its last,
 * {@code member_added} and {@code member_removed} when a presence channel's {@code user_id} gets its first
 * connection and loses its last, and {@code client_event} for every client event a connection sent.
 *
 * <p>Each is told by exactly one node of a cluster. Channel and member changes are derived from the changes to
 * the channel's group as {@link io.pushgate.core.ApiRole#watchGroupEdges} hands them out: every node hears them
 * in the same order and so derives the same occupied, vacated, added and removed, and only the change's teller
 * (the node whose connection made it, or the node that reaped a dead node) tells it. A client event is told by
 * the node of the connection that sent it. A channel is any pushgate group, so a {@code /ws} or SSE session in
 * the group occupies it too; members are those of Pusher connections ({@link PusherPresence}).
 *
 * <p>Thread-safe; {@link #changed} is called under the roster's monitor and only queues.
 */
public final class PusherWebhooks implements GroupWatcher {

    /** Pusher's names of the webhook events. */
    public static final List<String> NAMES = List.of("channel_occupied", "channel_vacated", "member_added",
            "member_removed", "client_event");

    /**
     * One webhook event, as Pusher writes it.
     *
     * @param userId   for {@code member_added}, {@code member_removed}, and {@code client_event} on a presence channel
     * @param event    for {@code client_event}: the event's name ({@code client-…})
     * @param data     for {@code client_event}: the data as a string, as the client sent it
     * @param socketId for {@code client_event}: the sender's socket id
     */
    public record Event(String name, String channel, @Nullable String userId, @Nullable String event,
                        @Nullable String data, @Nullable String socketId) {
    }

    private final PusherPresence presence;
    private final Set<String> wanted;
    private final Consumer<Event> out;
    /** Channel, then client id, then its presence channel's {@code user_id} ({@code ""} when none). */
    private final Map<String, Map<String, String>> channels = new HashMap<>();
    /** Presence channel, then {@code user_id}, then its connections in the channel. */
    private final Map<String, Map<String, Integer>> users = new HashMap<>();

    /**
     * @param wanted the event names sent (of {@link #NAMES}); the others are not built
     * @param out    where the events go; called under the roster's monitor, so it must only queue
     */
    public PusherWebhooks(PusherPresence presence, Set<String> wanted, Consumer<Event> out) {
        for (String name : wanted) {
            if (!NAMES.contains(name)) {
                throw new IllegalArgumentException("no Pusher webhook event '" + name + "'; known: " + String.join(", ", NAMES));
            }
        }
        this.presence = presence;
        this.wanted = Set.copyOf(wanted);
        this.out = out;
    }

    /** Whether any event of channels or members is wanted, so the node must follow group changes. */
    public boolean watchesChannels() {
        return wanted.stream().anyMatch(name -> !"client_event".equals(name));
    }

    /** Heard without knowing who tells it: kept, never told. */
    @Override
    public void changed(String group, String clientId, boolean in, @Nullable String data) {
        changed(group, clientId, in, data, false);
    }

    @Override
    public synchronized void changed(String group, String clientId, boolean in, @Nullable String data, boolean teller) {
        Map<String, String> members = channels.get(group);
        String before = members == null ? null : members.get(clientId);
        String now = null;
        if (in) {
            PusherPresence.Member member = group.startsWith(PusherPresence.PREFIX) ? presence.memberIn(data, group) : null;
            now = member == null ? "" : member.userId();
        }
        if (Objects.equals(before, now)) {
            return; // a data change that changes no member
        }
        if (before == null) {
            if (members == null) {
                members = new HashMap<>();
                channels.put(group, members);
                tell(teller, new Event("channel_occupied", group, null, null, null, null));
            }
            members.put(clientId, now);
            added(group, now, teller);
            return;
        }
        if (now != null) { // still in, another user_id: the old one may go, the new one may come
            members.put(clientId, now);
            removed(group, before, teller);
            added(group, now, teller);
            return;
        }
        members.remove(clientId);
        removed(group, before, teller);
        if (members.isEmpty()) {
            channels.remove(group);
            tell(teller, new Event("channel_vacated", group, null, null, null, null));
        }
    }

    private void added(String channel, String userId, boolean teller) {
        if (!userId.isEmpty() && users.computeIfAbsent(channel, c -> new HashMap<>()).merge(userId, 1, Integer::sum) == 1) {
            tell(teller, new Event("member_added", channel, userId, null, null, null));
        }
    }

    private void removed(String channel, String userId, boolean teller) {
        Map<String, Integer> of = userId.isEmpty() ? null : users.get(channel);
        if (of == null) {
            return;
        }
        Integer left = of.computeIfPresent(userId, (u, n) -> n == 1 ? null : n - 1);
        if (left == null) {
            if (of.isEmpty()) {
                users.remove(channel);
            }
            tell(teller, new Event("member_removed", channel, userId, null, null, null));
        }
    }

    /**
     * A client event a connection of this node sent: told by this node.
     *
     * @param data   the data as a string, as Pusher's webhooks carry it
     * @param userId the sender's {@code user_id} on a presence channel, else {@code null}
     */
    public void clientEvent(String channel, String event, String data, String socketId, @Nullable String userId) {
        tell(true, new Event("client_event", channel, userId, event, data, socketId));
    }

    private void tell(boolean teller, Event event) {
        if (teller && wanted.contains(event.name())) {
            out.accept(event);
        }
    }

    /**
     * Pusher's webhook request: {@code {"time_ms":…,"events":[…]}}, with {@code X-Pusher-Key} the app's key and
     * {@code X-Pusher-Signature} the hex HMAC-SHA256 of the body with the app's secret, which the {@code pusher}
     * SDKs' {@code webhook(…).isValid()} check.
     */
    public static Webhooks.Format<Event> format(PusherApp app, JsonMapper mapper, Clock clock) {
        Signatures signatures = new Signatures(app.secret());
        return new Webhooks.Format<>() {
            @Override
            public byte[] body(List<Event> batch) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 * batch.size());
                try (JsonGenerator g = mapper.createGenerator(bytes)) {
                    g.writeStartObject();
                    g.writeNumberProperty("time_ms", clock.millis());
                    g.writeName("events");
                    g.writeStartArray();
                    for (Event e : batch) {
                        g.writeStartObject();
                        g.writeStringProperty("name", e.name());
                        g.writeStringProperty("channel", e.channel());
                        if (e.event() != null) {
                            g.writeStringProperty("event", e.event());
                            g.writeStringProperty("data", e.data());
                            g.writeStringProperty("socket_id", e.socketId());
                        }
                        if (e.userId() != null) {
                            g.writeStringProperty("user_id", e.userId());
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                return bytes.toByteArray();
            }

            @Override
            public Map<String, String> headers(byte[] body) {
                return Map.of("X-Pusher-Key", app.key(), "X-Pusher-Signature", signatures.hexOf(body));
            }
        };
    }
}
