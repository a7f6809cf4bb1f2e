package io.pushgate.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One publish: to whom, which event, what data, and optionally an idempotency key. Immutable, so one
 * can be kept and sent again (a retry with its key): each setter-like method returns a changed copy.
 *
 * <pre>{@code
 * Message.toUids("42").event("new_msg").data(Map.of("text", "hi")).idempotencyKey("order-9001")
 * }</pre>
 *
 * {@code data} is written by {@link Json#write(Object)}: maps, lists, strings, numbers, booleans, or
 * {@link Json#raw(String)} for JSON already encoded.
 */
public final class Message {

    private final List<String> uids;
    private final List<String> groups;
    private final List<String> clients;
    private final boolean all;
    private final String event;
    private final Object data;
    private final long ttl;
    private final List<String> excludeClients;
    private final String idempotencyKey;

    private Message(List<String> uids, List<String> groups, List<String> clients, boolean all, String event, Object data,
            long ttl, List<String> excludeClients, String idempotencyKey) {
        this.uids = List.copyOf(uids);
        this.groups = List.copyOf(groups);
        this.clients = List.copyOf(clients);
        this.all = all;
        this.event = event;
        this.data = data;
        this.ttl = ttl;
        this.excludeClients = List.copyOf(excludeClients);
        this.idempotencyKey = idempotencyKey;
    }

    public static Message toUids(String... uids) {
        return new Message(List.of(uids), List.of(), List.of(), false, null, null, 0, List.of(), null);
    }

    public static Message toGroups(String... groups) {
        return new Message(List.of(), List.of(groups), List.of(), false, null, null, 0, List.of(), null);
    }

    public static Message toClients(String... clientIds) {
        return new Message(List.of(), List.of(), List.of(clientIds), false, null, null, 0, List.of(), null);
    }

    public static Message toAll() {
        return new Message(List.of(), List.of(), List.of(), true, null, null, 0, List.of(), null);
    }

    /** Adds uids to the recipients (a message may go to uids, groups and clients at once). */
    public Message andUids(String... more) {
        return new Message(concat(uids, more), groups, clients, all, event, data, ttl, excludeClients, idempotencyKey);
    }

    public Message andGroups(String... more) {
        return new Message(uids, concat(groups, more), clients, all, event, data, ttl, excludeClients, idempotencyKey);
    }

    public Message andClients(String... more) {
        return new Message(uids, groups, concat(clients, more), all, event, data, ttl, excludeClients, idempotencyKey);
    }

    /** The event name clients see; the server's default is {@code "message"}. */
    public Message event(String name) {
        return new Message(uids, groups, clients, all, name, data, ttl, excludeClients, idempotencyKey);
    }

    public Message data(Object value) {
        return new Message(uids, groups, clients, all, event, value, ttl, excludeClients, idempotencyKey);
    }

    /** Seconds (0–604800) the message is held for listed uids that have no session anywhere now. */
    public Message ttl(long seconds) {
        return new Message(uids, groups, clients, all, event, data, seconds, excludeClients, idempotencyKey);
    }

    /** Connections that must not receive it (GatewayWorker's {@code $exclude_client_id}). */
    public Message exclude(String... clientIds) {
        return new Message(uids, groups, clients, all, event, data, ttl, concat(excludeClients, clientIds), idempotencyKey);
    }

    /**
     * A key that makes this publish safe to repeat: within the server's idempotency window a repeat is
     * delivered once and answered with the first answer, flagged {@link PublishResult#duplicate()}.
     * Only a publish with a key is retried by this client.
     */
    public Message idempotencyKey(String key) {
        return new Message(uids, groups, clients, all, event, data, ttl, excludeClients, Objects.requireNonNull(key, "key"));
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** The request body of {@code POST /api/v1/messages}; the key is included only when {@code withKey}. */
    Map<String, Object> toJson(boolean withKey) {
        Map<String, Object> to = new LinkedHashMap<>();
        if (!uids.isEmpty()) {
            to.put("uids", uids);
        }
        if (!groups.isEmpty()) {
            to.put("groups", groups);
        }
        if (!clients.isEmpty()) {
            to.put("clients", clients);
        }
        if (all) {
            to.put("all", true);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("to", to);
        if (event != null) {
            body.put("event", event);
        }
        body.put("data", data);
        if (ttl != 0) {
            body.put("ttl", ttl);
        }
        if (!excludeClients.isEmpty()) {
            body.put("exclude", Map.of("clients", excludeClients));
        }
        if (withKey && idempotencyKey != null) {
            body.put("idempotencyKey", idempotencyKey);
        }
        return body;
    }

    private static List<String> concat(List<String> list, String[] more) {
        List<String> all = new ArrayList<>(list);
        all.addAll(List.of(more));
        return all;
    }
}
