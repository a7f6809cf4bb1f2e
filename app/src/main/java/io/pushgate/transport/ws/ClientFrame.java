package io.pushgate.transport.ws;

import io.pushgate.codec.RawJson;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One parsed client frame. Only the members its type uses are read; the rest stay {@code null}.
 *
 * @param dataJson the {@code data} member as the client wrote it ({@link RawJson}: tokens exact, no
 *                 whitespace between them), {@code null} when absent
 */
record ClientFrame(String type, @Nullable Long ref, @Nullable String group, @Nullable String event,
                   @Nullable String dataJson, @Nullable String token, @Nullable String cursor, @Nullable String method) {

    /** A frame that could not be used; {@code code} is the stable error code sent back. */
    static final class BadFrame extends Exception {
        final String code;
        final @Nullable Long ref;

        BadFrame(String code, String message, @Nullable Long ref) {
            super(message, null, false, false);
            this.code = code;
            this.ref = ref;
        }
    }

    static ClientFrame parse(JsonMapper mapper, String text) throws BadFrame {
        JsonNode root;
        try {
            root = RawJson.read(mapper, text);
        } catch (JacksonException e) {
            if (RawJson.isLimit(e)) {
                throw new BadFrame("bad_frame", "frame refused: " + RawJson.reason(e, mapper), null);
            }
            throw new BadFrame("bad_json", "frame is not valid JSON", null);
        }
        if (root == null || !root.isObject()) {
            throw new BadFrame("bad_json", "frame must be a JSON object", null);
        }
        Long ref = null;
        JsonNode refNode = root.get("ref");
        if (refNode != null && !refNode.isNull()) {
            if (!refNode.isIntegralNumber() || !refNode.canConvertToLong()) {
                throw new BadFrame("bad_frame", "ref must be an integer", null);
            }
            ref = refNode.longValue();
        }
        JsonNode type = root.get("type");
        if (type == null || !type.isString()) {
            throw new BadFrame("bad_frame", "type must be a string", ref);
        }
        JsonNode data = root.get("data");
        return new ClientFrame(type.stringValue(), ref, string(root, "group", ref), string(root, "event", ref),
                RawJson.text(mapper, data), string(root, "token", ref),
                string(root, "cursor", ref), string(root, "method", ref));
    }

    private static @Nullable String string(JsonNode root, String name, @Nullable Long ref) throws BadFrame {
        JsonNode node = root.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            throw new BadFrame("bad_frame", name + " must be a string", ref);
        }
        return node.stringValue();
    }
}
