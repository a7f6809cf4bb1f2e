package io.pushgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * docs/configuration.md lists every {@code pushgate.*} property, and only those: its table is checked against
 * the metadata that spring-boot-configuration-processor writes from {@link PushgateProperties} at compile
 * time. With {@code -Dpushgate.docs.write=true} the test rewrites the table from the metadata instead,
 * keeping the hand-written default and meaning of every row already there.
 */
class ConfigurationDocsTests {

    static final Path DOC = Path.of("../docs/configuration.md");
    static final String METADATA = "META-INF/spring-configuration-metadata.json";
    static final String BEGIN = "<!-- BEGIN GENERATED: pushgate properties (ConfigurationDocsTests) -->";
    static final String END = "<!-- END GENERATED -->";
    static final String HEADER = "| property | default | meaning |\n| --- | --- | --- |\n";
    static final Pattern ROW = Pattern.compile("^\\| `(pushgate\\.[^`]+)` \\| (.*?) \\| (.*) \\|$");
    static final Pattern CODE = Pattern.compile("\\{@code ([^{}]*(?:\\{[^{}]*}[^{}]*)*)}");

    record Row(String defaultValue, String meaning) {
    }

    @Test
    void everyPropertyIsDocumentedAndEveryDocumentedPropertyExists() throws IOException {
        Map<String, JsonNode> properties = metadata();
        assertThat(properties).as("pushgate.* properties in " + METADATA).isNotEmpty();
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("pushgate.docs.write")) {
            Files.writeString(DOC, regenerate(doc, properties), StandardCharsets.UTF_8);
            doc = Files.readString(DOC, StandardCharsets.UTF_8);
        }
        Map<String, Row> documented = table(doc);
        Set<String> missing = new TreeSet<>(properties.keySet());
        missing.removeAll(documented.keySet());
        Set<String> gone = new TreeSet<>(documented.keySet());
        gone.removeAll(properties.keySet());
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add("missing from the table in docs/configuration.md: " + String.join(", ", missing));
        }
        if (!gone.isEmpty()) {
            problems.add("in docs/configuration.md but no longer a property: " + String.join(", ", gone));
        }
        documented.forEach((name, row) -> {
            if (row.meaning().isBlank() || row.defaultValue().isBlank()) {
                problems.add(name + " has an empty default or meaning cell");
            }
        });
        if (!problems.isEmpty()) {
            fail(String.join("\n", problems) + "\nRegenerate the table: ./mvnw -q -pl app test "
                    + "-Dtest=ConfigurationDocsTests -Dpushgate.docs.write=true (see docs/configuration.md)");
        }
    }

    /** The {@code pushgate.*} properties of the generated metadata, by name. */
    static Map<String, JsonNode> metadata() throws IOException {
        try (InputStream in = ConfigurationDocsTests.class.getClassLoader().getResourceAsStream(METADATA)) {
            assertThat(in).as(METADATA + " on the classpath (spring-boot-configuration-processor)").isNotNull();
            JsonNode root = JsonMapper.builder().build().readTree(in);
            Map<String, JsonNode> properties = new TreeMap<>();
            for (JsonNode property : root.path("properties")) {
                String name = property.path("name").asString();
                if (name.startsWith("pushgate.")) {
                    properties.put(name, property);
                }
            }
            return properties;
        }
    }

    /** The rows of the generated table, by property name. */
    static Map<String, Row> table(String doc) {
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        assertThat(begin).as("docs/configuration.md has the marker " + BEGIN).isNotNegative();
        assertThat(end).as("docs/configuration.md has the marker " + END).isGreaterThan(begin);
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : doc.substring(begin + BEGIN.length(), end).split("\n")) {
            Matcher m = ROW.matcher(line.strip());
            if (m.matches()) {
                rows.put(m.group(1), new Row(m.group(2).strip(), m.group(3).strip()));
            }
        }
        return rows;
    }

    /** The doc with its table rewritten: one row per property, sorted by name, known rows kept as written. */
    static String regenerate(String doc, Map<String, JsonNode> properties) {
        Map<String, Row> known = table(doc);
        StringBuilder table = new StringBuilder(HEADER);
        properties.forEach((name, property) -> {
            // only a new property needs a description from the metadata (getOrDefault would demand one of every row)
            Row row = known.containsKey(name) ? known.get(name) : new Row(defaultOf(property), meaningOf(property));
            table.append("| `").append(name).append("` | ").append(row.defaultValue()).append(" | ")
                    .append(row.meaning()).append(" |\n");
        });
        int begin = doc.indexOf(BEGIN) + BEGIN.length();
        return doc.substring(0, begin) + "\n" + table + doc.substring(doc.indexOf(END));
    }

    static String defaultOf(JsonNode property) {
        JsonNode value = property.path("defaultValue");
        if (value.isMissingNode() || value.isNull()) {
            return "—";
        }
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(item.asString()));
            return items.isEmpty() ? "empty" : "`" + String.join(",", items) + "`";
        }
        return "`" + value.asString() + "`";
    }

    static String meaningOf(JsonNode property) {
        String description = property.path("description").asString("").strip();
        if (description.isEmpty()) {
            // a property the reader could not look up is a gap in the docs: fail rather than print a placeholder
            throw new AssertionError(property.path("name").asString() + " has no description: give it a javadoc @param"
                    + " in PushgateProperties (or additional-spring-configuration-metadata.json)");
        }
        description = CODE.matcher(description).replaceAll(m -> Matcher.quoteReplacement("`" + m.group(1) + "`"));
        description = description.replaceAll("\\s+", " ").replace("|", "\\|");
        return description.endsWith(".") ? description.substring(0, description.length() - 1) : description;
    }
}
