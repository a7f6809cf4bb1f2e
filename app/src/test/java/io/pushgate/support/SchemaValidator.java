package io.pushgate.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Validates JSON against the subset of JSON Schema the documents in {@code api-spec/} use: {@code type}
 * (one name or an array, including {@code "null"}; {@code integer} means a whole number), {@code required},
 * {@code properties}, {@code additionalProperties} (false or a schema), {@code items}, local {@code $ref}
 * (any JSON pointer into the same document), {@code enum}, {@code const}, {@code oneOf}, {@code minimum},
 * {@code maximum}, {@code minLength}, {@code maxLength} and {@code pattern}. Every other keyword is
 * annotation only. A keyword this class does not understand but that constrains values would be missed,
 * so {@link #UNSUPPORTED} ones fail loudly instead.
 */
public final class SchemaValidator {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> UNSUPPORTED = Set.of("allOf", "anyOf", "not", "if", "then", "else",
            "patternProperties", "propertyNames", "minItems", "maxItems", "uniqueItems", "contains",
            "minProperties", "maxProperties", "dependentRequired", "dependentSchemas", "prefixItems",
            "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "$dynamicRef", "unevaluatedProperties");

    private final JsonNode document;

    public SchemaValidator(JsonNode document) {
        this.document = document;
    }

    /** Loads a YAML (or JSON) document, such as {@code ../api-spec/openapi.yaml}, as a JSON tree. */
    public static JsonNode loadYaml(Path file) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try (InputStream in = Files.newInputStream(file)) {
            Object tree = new Yaml(options).load(in);
            return JSON.valueToTree(tree);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file.toAbsolutePath(), e);
        }
    }

    public JsonNode document() {
        return document;
    }

    /** The node at a local reference such as {@code #/components/schemas/Problem}. */
    public JsonNode resolve(String ref) {
        if (!ref.startsWith("#")) {
            throw new IllegalArgumentException("only local references are supported: " + ref);
        }
        JsonNode node = document.at(ref.substring(1));
        if (node.isMissingNode()) {
            throw new IllegalArgumentException("unresolvable reference " + ref);
        }
        return node;
    }

    /** Follows {@code $ref} until the node is not a reference. */
    public JsonNode deref(JsonNode node) {
        JsonNode current = node;
        for (int hops = 0; current.has("$ref"); hops++) {
            if (hops > 32) {
                throw new IllegalArgumentException("reference loop at " + node);
            }
            current = resolve(current.get("$ref").asString());
        }
        return current;
    }

    /** @return every violation, each with the JSON path where it is; empty when the value is valid */
    public List<String> validate(JsonNode schema, JsonNode value) {
        List<String> errors = new ArrayList<>();
        check(schema, value, "$", errors, 0);
        return errors;
    }

    public List<String> validate(String schemaRef, JsonNode value) {
        return validate(resolve(schemaRef), value);
    }

    private void check(JsonNode schema, JsonNode value, String path, List<String> errors, int depth) {
        if (depth > 64) {
            throw new IllegalArgumentException("schema nesting too deep at " + path);
        }
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) {
                errors.add(path + ": no value is allowed here");
            }
            return;
        }
        if (!schema.isObject()) {
            throw new IllegalArgumentException("not a schema at " + path + ": " + schema);
        }
        for (String keyword : schema.propertyNames()) {
            if (UNSUPPORTED.contains(keyword)) {
                throw new IllegalArgumentException("schema keyword '" + keyword + "' is not supported by this validator");
            }
        }
        if (schema.has("$ref")) {
            check(resolve(schema.get("$ref").asString()), value, path, errors, depth + 1);
        }
        JsonNode type = schema.get("type");
        if (type != null && !typeMatches(type, value)) {
            errors.add(path + ": expected type " + type + " but was " + describe(value));
            return; // the other keywords would only repeat the mismatch
        }
        JsonNode constant = schema.get("const");
        if (constant != null && !sameValue(constant, value)) {
            errors.add(path + ": expected " + constant + " but was " + value);
        }
        JsonNode allowed = schema.get("enum");
        if (allowed != null) {
            boolean found = false;
            for (JsonNode option : allowed) {
                found |= sameValue(option, value);
            }
            if (!found) {
                errors.add(path + ": " + value + " is not one of " + allowed);
            }
        }
        if (value.isNumber()) {
            JsonNode minimum = schema.get("minimum");
            if (minimum != null && value.doubleValue() < minimum.doubleValue()) {
                errors.add(path + ": " + value + " is below the minimum " + minimum);
            }
            JsonNode maximum = schema.get("maximum");
            if (maximum != null && value.doubleValue() > maximum.doubleValue()) {
                errors.add(path + ": " + value + " is above the maximum " + maximum);
            }
        }
        if (value.isString()) {
            String text = value.stringValue();
            int length = text.codePointCount(0, text.length());
            JsonNode minLength = schema.get("minLength");
            if (minLength != null && length < minLength.intValue()) {
                errors.add(path + ": shorter than " + minLength + " characters");
            }
            JsonNode maxLength = schema.get("maxLength");
            if (maxLength != null && length > maxLength.intValue()) {
                errors.add(path + ": longer than " + maxLength + " characters");
            }
            JsonNode pattern = schema.get("pattern");
            if (pattern != null && !Pattern.compile(pattern.asString()).matcher(text).find()) {
                errors.add(path + ": " + value + " does not match " + pattern);
            }
        }
        if (value.isObject()) {
            checkObject(schema, value, path, errors, depth);
        }
        JsonNode items = schema.get("items");
        if (items != null && value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                check(items, value.get(i), path + "[" + i + "]", errors, depth + 1);
            }
        }
        JsonNode oneOf = schema.get("oneOf");
        if (oneOf != null) {
            List<List<String>> failures = new ArrayList<>();
            int matches = 0;
            for (JsonNode option : oneOf) {
                List<String> optionErrors = new ArrayList<>();
                check(option, value, path, optionErrors, depth + 1);
                if (optionErrors.isEmpty()) {
                    matches++;
                } else {
                    failures.add(optionErrors);
                }
            }
            if (matches != 1) {
                errors.add(path + ": must match exactly one of " + oneOf.size() + " oneOf schemas but matched "
                        + matches + (matches == 0 ? "; failures: " + failures : ""));
            }
        }
    }

    private void checkObject(JsonNode schema, JsonNode value, String path, List<String> errors, int depth) {
        JsonNode required = schema.get("required");
        if (required != null) {
            for (JsonNode name : required) {
                if (!value.has(name.asString())) {
                    errors.add(path + ": required member '" + name.asString() + "' is missing");
                }
            }
        }
        JsonNode properties = schema.get("properties");
        Set<String> declared = new HashSet<>();
        if (properties != null) {
            for (Map.Entry<String, JsonNode> property : properties.properties()) {
                declared.add(property.getKey());
                JsonNode member = value.get(property.getKey());
                if (member != null) {
                    check(property.getValue(), member, path + "." + property.getKey(), errors, depth + 1);
                }
            }
        }
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null) {
            for (Map.Entry<String, JsonNode> member : value.properties()) {
                if (declared.contains(member.getKey())) {
                    continue;
                }
                if (additional.isBoolean() && !additional.booleanValue()) {
                    errors.add(path + ": member '" + member.getKey() + "' is not in the schema");
                } else if (additional.isObject()) {
                    check(additional, member.getValue(), path + "." + member.getKey(), errors, depth + 1);
                }
            }
        }
    }

    private static boolean typeMatches(JsonNode type, JsonNode value) {
        if (type.isArray()) {
            for (JsonNode one : type) {
                if (typeMatches(one.asString(), value)) {
                    return true;
                }
            }
            return false;
        }
        return typeMatches(type.asString(), value);
    }

    private static boolean typeMatches(String type, JsonNode value) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isString();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            case "number" -> value.isNumber();
            case "integer" -> value.isIntegralNumber()
                    || (value.isNumber() && value.doubleValue() == Math.rint(value.doubleValue()));
            default -> throw new IllegalArgumentException("unknown type '" + type + "'");
        };
    }

    /** JSON equality, with numbers compared by value (1 equals 1.0). */
    private static boolean sameValue(JsonNode expected, JsonNode actual) {
        if (expected.isNumber() && actual.isNumber()) {
            return expected.decimalValue().compareTo(actual.decimalValue()) == 0;
        }
        return expected.equals(actual);
    }

    private static String describe(JsonNode value) {
        return value.getNodeType().name().toLowerCase() + " " + abbreviate(value.toString());
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }
}
