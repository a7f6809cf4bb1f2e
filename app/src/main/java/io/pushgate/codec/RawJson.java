package io.pushgate.codec;

import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.util.RawValue;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a JSON document as a tree, keeping the {@code data} member of the top-level object (or of each
 * object of a top-level array, as in a batch) as the exact text the sender wrote.
 *
 * <p>Guarantee: the payload a backend or client sends is delivered with every token as it was sent.
 * Nothing is parsed into a number or string and written again, so {@code 1e999} stays {@code 1e999}
 * (a double would print {@code "Infinity"}), {@code 3.141592653589793238462643383279} keeps every digit,
 * {@code "\u00e9"} keeps its escape. Whitespace between tokens is dropped: it means nothing in JSON, and
 * without it every message is one line, which SSE {@code data:} fields and the line-oriented compat ports
 * rely on. Whitespace inside strings is part of the string and is kept.
 *
 * <p>The text is still checked: the parser reads every token of the payload, so it is well-formed JSON
 * within the mapper's {@link tools.jackson.core.StreamReadConstraints} (nesting depth, number length),
 * or the whole document is refused.
 */
public final class RawJson {

    /** The member kept as text. */
    public static final String DATA = "data";

    private RawJson() {
    }

    /**
     * Reads a document given as UTF-8 bytes.
     *
     * @throws JacksonException when it is not one well-formed JSON value within the mapper's constraints
     */
    public static JsonNode read(JsonMapper mapper, byte[] json) {
        try (JsonParser parser = mapper.createParser(json)) {
            return document(mapper, parser, new Source(json, null));
        }
    }

    /** Reads a document given as text, as {@link #read(JsonMapper, byte[])}. */
    public static JsonNode read(JsonMapper mapper, String json) {
        try (JsonParser parser = mapper.createParser(json)) {
            return document(mapper, parser, new Source(null, json));
        }
    }

    /**
     * A whole document as the exact text the sender wrote (whitespace between tokens dropped), every token
     * read and so checked, as {@link #DATA} is kept.
     *
     * @throws JacksonException when it is not one well-formed JSON value within the mapper's constraints
     */
    public static String exact(JsonMapper mapper, byte[] json) {
        try (JsonParser p = mapper.createParser(json)) {
            if (p.nextToken() == null) {
                throw new tools.jackson.core.exc.StreamReadException(p, "no JSON value");
            }
            String text = text(mapper, raw(mapper, p, new Source(json, null)));
            if (p.nextToken() != null) {
                throw new tools.jackson.core.exc.StreamReadException(p, "trailing content after the JSON value");
            }
            return text;
        }
    }

    /**
     * The members of a document that is one JSON object, each value as the exact text the sender wrote
     * (as {@link #DATA} is kept), in their order; a name given twice keeps its last value.
     *
     * @return {@code null} when the document is well-formed JSON but not an object
     * @throws JacksonException when it is not one well-formed JSON value within the mapper's constraints
     */
    public static java.util.@Nullable LinkedHashMap<String, String> members(JsonMapper mapper, byte[] json) {
        try (JsonParser p = mapper.createParser(json)) {
            return members(mapper, p, new Source(json, null));
        }
    }

    /** The members of a document given as text, as {@link #members(JsonMapper, byte[])}. */
    public static java.util.@Nullable LinkedHashMap<String, String> members(JsonMapper mapper, String json) {
        try (JsonParser p = mapper.createParser(json)) {
            return members(mapper, p, new Source(null, json));
        }
    }

    private static java.util.@Nullable LinkedHashMap<String, String> members(JsonMapper mapper, JsonParser p, Source source) {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new tools.jackson.core.exc.StreamReadException(p, "no JSON value");
        }
        if (first != JsonToken.START_OBJECT) {
            value(mapper, p);
            if (p.nextToken() != null) {
                throw new tools.jackson.core.exc.StreamReadException(p, "trailing content after the JSON value");
            }
            return null;
        }
        java.util.LinkedHashMap<String, String> members = new java.util.LinkedHashMap<>();
        String name;
        while ((name = p.nextName()) != null) {
            p.nextToken();
            members.remove(name);
            members.put(name, text(mapper, raw(mapper, p, source)));
        }
        if (p.nextToken() != null) {
            throw new tools.jackson.core.exc.StreamReadException(p, "trailing content after the JSON value");
        }
        return members;
    }

    /**
     * The elements of a document that is one JSON array, each as the exact text the sender wrote.
     *
     * @return {@code null} when the document is well-formed JSON but not an array
     * @throws JacksonException when it is not one well-formed JSON value within the mapper's constraints
     */
    public static java.util.@Nullable List<String> elements(JsonMapper mapper, String json) {
        try (JsonParser p = mapper.createParser(json)) {
            Source source = new Source(null, json);
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new tools.jackson.core.exc.StreamReadException(p, "no JSON value");
            }
            java.util.List<String> elements = null;
            if (first == JsonToken.START_ARRAY) {
                elements = new java.util.ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    elements.add(text(mapper, raw(mapper, p, source)));
                }
            } else {
                value(mapper, p);
            }
            if (p.nextToken() != null) {
                throw new tools.jackson.core.exc.StreamReadException(p, "trailing content after the JSON value");
            }
            return elements;
        }
    }

    /** The JSON object with these members, each value written as the text given (see {@link #members}). */
    public static String object(JsonMapper mapper, java.util.Map<String, String> members) {
        StringBuilder out = new StringBuilder(64).append('{');
        for (var member : members.entrySet()) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append(mapper.writeValueAsString(member.getKey())).append(':').append(member.getValue());
        }
        return out.append('}').toString();
    }

    /**
     * The exact JSON text of a member read by this class, or the compact JSON of any other node.
     * {@code null} stays {@code null}.
     */
    public static @Nullable String text(JsonMapper mapper, @Nullable JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isPojo() && node instanceof tools.jackson.databind.node.POJONode pojo && pojo.getPojo() instanceof RawValue raw) {
            return String.valueOf(raw.rawValue());
        }
        return mapper.writeValueAsString(node);
    }

    /**
     * A JSON object with one member taken out: that member's value as a tree, and the other members as
     * the exact text the sender wrote (tokens unchanged, no whitespace between them, order kept).
     *
     * @param member the member's value, {@code null} when the object has no such member
     * @param rest   the object without the member, e.g. {@code {"percent":88}}
     */
    public record Split(@Nullable JsonNode member, String rest) {
    }

    /**
     * Splits a document that must be one JSON object, as Workerman's Text port lines are
     * ({@code {"uid":…, …payload}}).
     *
     * @return {@code null} when the document is not an object
     * @throws JacksonException when it is not well-formed JSON within the mapper's constraints
     */
    public static @Nullable Split objectWithout(JsonMapper mapper, String json, String member) {
        try (JsonParser p = mapper.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Source source = new Source(null, json);
            StringBuilder rest = new StringBuilder(json.length()).append('{');
            JsonNode removed = null;
            String name;
            while ((name = p.nextName()) != null) {
                int from = (int) source.offset(p.currentTokenLocation()); // the name's opening quote
                p.nextToken();
                if (name.equals(member)) {
                    removed = value(mapper, p);
                    continue;
                }
                if (p.currentToken().isStructStart()) {
                    p.skipChildren();
                } else {
                    p.finishToken();
                }
                if (rest.length() > 1) {
                    rest.append(',');
                }
                rest.append(source.compact(from, (int) source.offset(p.currentLocation())));
            }
            if (p.nextToken() != null) {
                throw new tools.jackson.core.exc.StreamReadException(p, "trailing content after the JSON value");
            }
            return new Split(removed, rest.append('}').toString());
        }
    }

    /** Whether {@code e} is a read refused by a {@link tools.jackson.core.StreamReadConstraints} limit. */
    public static boolean isLimit(JacksonException e) {
        return e instanceof StreamConstraintsException;
    }

    /**
     * What a refused document broke, for the sender: the nesting and number limits in plain words, else
     * the parser's own message.
     */
    public static String reason(JacksonException e, JsonMapper mapper) {
        String message = String.valueOf(e.getOriginalMessage());
        var limits = mapper.tokenStreamFactory().streamReadConstraints();
        if (e instanceof StreamConstraintsException && message.contains("nesting depth")) {
            return "nested deeper than " + limits.getMaxNestingDepth() + " levels";
        }
        if (e instanceof StreamConstraintsException && message.contains("Number value length")) {
            return "a number is longer than " + limits.getMaxNumberLength() + " characters";
        }
        return malformed(e);
    }

    /**
     * Why a document is not well-formed JSON, in words meant for the sender: what the parser met and
     * where ({@code unexpected character 'x' at line 1, column 9}). The parser's own message names its
     * internals (the source, which is redacted, and the feature that would show it) and lists every
     * token it would have taken; neither helps whoever sent the body, and the location is the part that
     * does.
     */
    public static String malformed(JacksonException e) {
        String message = String.valueOf(e.getOriginalMessage());
        int cut = message.indexOf('\n');
        if (cut >= 0) {
            message = message.substring(0, cut);
        }
        cut = message.indexOf(" at [Source");
        if (cut >= 0) {
            message = message.substring(0, cut);
        }
        String expected = "";
        java.util.regex.Matcher m;
        if ((m = UNEXPECTED_CHARACTER.matcher(message)).lookingAt()) {
            expected = message.substring(m.end()).replaceFirst("^:\\s*", "");
            message = "unexpected character " + m.group(1);
        } else if ((m = UNRECOGNIZED_TOKEN.matcher(message)).lookingAt()) {
            message = "unrecognized token '" + m.group(1) + "'";
        } else if (message.startsWith("Unexpected end-of-input")) {
            expected = message.substring("Unexpected end-of-input".length()).replaceFirst("^:\\s*", "");
            message = "unexpected end of input";
        } else if (!message.isEmpty()) {
            message = Character.toLowerCase(message.charAt(0)) + message.substring(1);
        }
        // what the parser wanted, without its list of every token it takes or where the object began
        for (String noise : new String[] {" (JSON String", " (start marker", " [Source"}) {
            cut = expected.indexOf(noise);
            expected = cut >= 0 ? expected.substring(0, cut) : expected;
        }
        expected = expected.replace("expected a valid value", "expected a value").trim();
        var at = e.getLocation();
        if (at != null && at.getLineNr() > 0 && at.getColumnNr() > 0) {
            message += " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        }
        return expected.isEmpty() ? message : message + " (" + expected + ")";
    }

    /** {@code Unexpected character ('x' (code 120)): …}: the character as the parser quotes it. */
    private static final java.util.regex.Pattern UNEXPECTED_CHARACTER =
            java.util.regex.Pattern.compile("Unexpected character \\((.+?) \\(code \\d+[^)]*\\)\\)");
    /** {@code Unrecognized token 'nul': was expecting …}. */
    private static final java.util.regex.Pattern UNRECOGNIZED_TOKEN =
            java.util.regex.Pattern.compile("Unrecognized token '(.*?)'(?::|$)");

    private static JsonNode document(JsonMapper mapper, JsonParser p, Source source) {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new tools.jackson.core.exc.StreamReadException(p, "no JSON value");
        }
        JsonNode root;
        if (first == JsonToken.START_OBJECT) {
            root = object(mapper, p, source);
        } else if (first == JsonToken.START_ARRAY) {
            ArrayNode array = mapper.createArrayNode();
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                array.add(t == JsonToken.START_OBJECT ? object(mapper, p, source) : value(mapper, p));
            }
            root = array;
        } else {
            root = value(mapper, p);
        }
        if (p.nextToken() != null) {
            throw new tools.jackson.core.exc.StreamReadException(p, "trailing content after the JSON value");
        }
        return root;
    }

    /** An object whose {@code START_OBJECT} is the current token, read up to its {@code END_OBJECT}. */
    private static ObjectNode object(JsonMapper mapper, JsonParser p, Source source) {
        ObjectNode object = mapper.createObjectNode();
        String name;
        while ((name = p.nextName()) != null) {
            p.nextToken();
            object.set(name, DATA.equals(name) ? raw(mapper, p, source) : value(mapper, p));
        }
        return object;
    }

    /**
     * The current value as a tree. Built here rather than by the mapper, whose {@code readTree} of a
     * parser insists the value is the last of the document. Recursion is bounded by the nesting limit.
     */
    private static JsonNode value(JsonMapper mapper, JsonParser p) {
        JsonNodeFactory nodes = mapper.getNodeFactory();
        JsonToken token = p.currentToken();
        switch (token) {
            case START_OBJECT -> {
                ObjectNode object = nodes.objectNode();
                String name;
                while ((name = p.nextName()) != null) {
                    p.nextToken();
                    object.set(name, value(mapper, p));
                }
                return object;
            }
            case START_ARRAY -> {
                ArrayNode array = nodes.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    array.add(value(mapper, p));
                }
                return array;
            }
            case VALUE_STRING -> {
                return nodes.stringNode(p.getString());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> nodes.numberNode(p.getIntValue());
                    case LONG -> nodes.numberNode(p.getLongValue());
                    default -> nodes.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return nodes.numberNode(p.getDoubleValue()); // only checked (a fraction is never a valid count)
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return nodes.booleanNode(token == JsonToken.VALUE_TRUE);
            }
            case VALUE_NULL -> {
                return nodes.nullNode();
            }
            default -> throw new tools.jackson.core.exc.StreamReadException(p, "unexpected token " + token);
        }
    }

    /** The current value as its source text: every token is read (and so checked), none is converted. */
    private static JsonNode raw(JsonMapper mapper, JsonParser p, Source source) {
        long start = source.offset(p.currentTokenLocation());
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
        } else {
            p.finishToken(); // a string is otherwise read lazily: the location would stop at its opening quote
        }
        long end = source.offset(p.currentLocation());
        return mapper.getNodeFactory().rawValueNode(new RawValue(source.compact((int) start, (int) end)));
    }

    /** The document's bytes or its text, whichever the parser reads; offsets are in the same unit. */
    private record Source(byte @Nullable [] bytes, @Nullable String text) {

        long offset(tools.jackson.core.TokenStreamLocation location) {
            return bytes != null ? location.getByteOffset() : location.getCharOffset();
        }

        /** The slice without whitespace between tokens; strings (bytes between unescaped quotes) untouched. */
        String compact(int from, int to) {
            StringBuilder out = null;
            boolean inString = false;
            boolean escaped = false;
            int copied = from;
            for (int i = from; i < to; i++) {
                int c = bytes != null ? bytes[i] : text.charAt(i);
                if (inString) {
                    if (escaped) {
                        escaped = false;
                    } else if (c == '\\') {
                        escaped = true;
                    } else if (c == '"') {
                        inString = false;
                    }
                } else if (c == '"') {
                    inString = true;
                } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                    if (out == null) {
                        out = new StringBuilder(to - from);
                    }
                    out.append(slice(copied, i));
                    copied = i + 1;
                }
            }
            if (out == null) {
                return slice(from, to);
            }
            return out.append(slice(copied, to)).toString();
        }

        private String slice(int from, int to) {
            return bytes != null ? new String(bytes, from, to - from, StandardCharsets.UTF_8) : text.substring(from, to);
        }
    }
}
