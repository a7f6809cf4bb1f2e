package io.pushgate.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.pushgate.codec.RawJson;
import io.pushgate.core.Names;
import io.pushgate.core.Publication;
import io.pushgate.core.Target;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a publish request body into a {@link Publication}, or says exactly which member is wrong.
 * Unknown members are refused too, so a typo such as {@code "uid"} for {@code "uids"} is an error and
 * not a silent publish to nobody.
 */
final class PublicationReader {

    static final String DEFAULT_EVENT = "message";
    private static final Set<String> MEMBERS = Set.of("to", "event", "data", "ttl", "exclude", "idempotencyKey");
    /** Printable ASCII without spaces, so a key is the same text in a header, in JSON and in a Redis key. */
    static final int MAX_IDEMPOTENCY_KEY = 200;
    private static final Set<String> TO_MEMBERS = Set.of("uids", "groups", "clients", "all");
    private static final int MAX_TTL_SECONDS = 7 * 24 * 3600;

    private final JsonMapper mapper;
    private final int maxTargets;

    PublicationReader(JsonMapper mapper, int maxTargets) {
        this.mapper = mapper;
        this.maxTargets = maxTargets;
    }

    Publication read(JsonNode body, String where) {
        if (!body.isObject()) {
            throw ApiException.badRequest(where + "must be a JSON object");
        }
        unknown(body, MEMBERS, where + "the body ");
        JsonNode to = body.get("to");
        if (to == null || !to.isObject()) {
            throw ApiException.badRequest(where + "'to' is required: {\"uids\":[…],\"groups\":[…],\"clients\":[…],\"all\":true}");
        }
        unknown(to, TO_MEMBERS, where + "'to' ");
        List<String> uids = names(to, "uids", "uid", where + "to.");
        List<String> groups = names(to, "groups", "group", where + "to.");
        List<String> clients = names(to, "clients", "client id", where + "to.");
        boolean all = false;
        JsonNode allNode = to.get("all");
        if (allNode != null && !allNode.isNull()) {
            if (!allNode.isBoolean()) {
                throw ApiException.badRequest(where + "to.all must be true or false");
            }
            all = allNode.booleanValue();
        }
        if (uids.size() + groups.size() + clients.size() > maxTargets) {
            throw ApiException.badRequest(where + "at most " + maxTargets + " uids, groups and clients in one publish");
        }
        Set<String> exclude = Set.of();
        JsonNode excludeNode = body.get("exclude");
        if (excludeNode != null && !excludeNode.isNull()) {
            if (!excludeNode.isObject()) {
                throw ApiException.badRequest(where + "exclude must be an object: {\"clients\":[…]}");
            }
            unknown(excludeNode, Set.of("clients"), where + "'exclude' ");
            exclude = new LinkedHashSet<>(names(excludeNode, "clients", "client id", where + "exclude."));
        }
        Target target = new Target(uids, groups, clients, all, exclude);
        if (target.isEmpty()) {
            throw ApiException.badRequest(where + "'to' names nobody: give uids, groups, clients or all: true");
        }
        String event = DEFAULT_EVENT;
        JsonNode eventNode = body.get("event");
        if (eventNode != null && !eventNode.isNull()) {
            if (!eventNode.isString() || !Names.isValid(eventNode.stringValue())) {
                throw ApiException.badRequest(where + "event must be a string of 1-" + Names.MAX_LENGTH + " characters without spaces");
            }
            event = eventNode.stringValue();
        }
        // the exact text the backend sent (RawJson): no number is converted and written again
        String dataJson = RawJson.text(mapper, body.get("data"));
        if (dataJson == null) {
            dataJson = "null";
        }
        int ttl = 0;
        JsonNode ttlNode = body.get("ttl");
        if (ttlNode != null && !ttlNode.isNull()) {
            // canConvertToLong first: longValue() of 18446744073709551617 fails rather than answer
            if (!ttlNode.isIntegralNumber() || !ttlNode.canConvertToLong()
                    || ttlNode.longValue() < 0 || ttlNode.longValue() > MAX_TTL_SECONDS) {
                throw ApiException.badRequest(where + "ttl must be whole seconds from 0 to " + MAX_TTL_SECONDS);
            }
            ttl = (int) ttlNode.longValue();
        }
        String key = null;
        JsonNode keyNode = body.get("idempotencyKey");
        if (keyNode != null && !keyNode.isNull()) {
            if (!keyNode.isString() || !validKey(keyNode.stringValue())) {
                throw ApiException.badRequest(where + "idempotencyKey " + KEY_RULE);
            }
            key = keyNode.stringValue();
        }
        return new Publication(target, event, dataJson, ttl, key);
    }

    static final String KEY_RULE = "must be 1-" + MAX_IDEMPOTENCY_KEY + " printable ASCII characters without spaces";

    static boolean validKey(String key) {
        if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }

    private static List<String> names(JsonNode parent, String member, String kind, String where) {
        JsonNode node = parent.get(member);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.badRequest(where + member + " must be an array of strings");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode item : node) {
            if (!item.isString() || !Names.isValid(item.stringValue())) {
                throw ApiException.badRequest(where + member + " holds an invalid " + kind
                        + ": each must be a string of 1-" + Names.MAX_LENGTH + " characters without spaces");
            }
            names.add(item.stringValue());
        }
        return new ArrayList<>(names);
    }

    private static void unknown(JsonNode object, Set<String> allowed, String where) {
        for (String name : object.propertyNames()) {
            if (!allowed.contains(name)) {
                throw ApiException.badRequest(where + "has an unknown member '" + name + "'; allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }
}
