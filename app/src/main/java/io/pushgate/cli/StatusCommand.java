package io.pushgate.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.pushgate.cli.Arguments.BadArguments;
import io.pushgate.config.PushgateProperties;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code status [--url http://127.0.0.1:8080] [--api-key …] [--json]}: asks a running node for every node's
 * counters ({@code GET /api/v1/stats}) and prints them as one table, a line per node, as GatewayWorker's
 * {@code php start.php status} does; {@code --json} prints the same as one JSON document.
 *
 * <p>Exits 0 only when the node answered and every node is healthy (accepting sessions, broker not
 * degraded); 1 when a node is not, the URL cannot be reached or the key is refused, saying which on
 * standard error. The API key is {@code --api-key}, else the first of the server's own
 * {@code pushgate.api.keys} (read as the server reads it: {@code PUSHGATE_API_KEYS} and the rest), so a
 * shell on the server's host needs no key on its command line, where other users could read it. The key
 * is never printed. Nothing of the server starts.
 */
public final class StatusCommand implements Command {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    static final String USAGE_TEXT = """
            Usage: java -jar pushgate.jar status [--url http://127.0.0.1:8080] [--api-key <key>] [--json]
                                                 [--<setting>=<value> …]
            Prints every node's uptime, sessions by transport, uids, groups, messages in/out per second,
            dropped sessions, heap and broker state, from GET /api/v1/stats of the node at --url.
            Exits 1 when a node is unhealthy (draining, or its broker degraded), the node cannot be
            reached or the key is refused.
              --url      the node's public address (a sub-path such as /push is kept)   http://127.0.0.1:<server.port>
              --api-key  a backend API key (PUSHGATE_API_KEYS is read when absent)     first of pushgate.api.keys
              --json     print JSON instead of the table""";

    private static final List<String> OPTIONS = List.of("url", "api-key");
    /** Transports in the order the table shows them; any other name follows, alphabetically. */
    private static final List<String> TRANSPORT_ORDER = List.of("websocket", "sse", "long-poll", "socket.io");

    private final @Nullable Map<String, Object> environmentVariables;
    private final JsonMapper json = JsonMapper.builder().build();

    /** A command that reads the process's environment variables. */
    public StatusCommand() {
        this.environmentVariables = null;
    }

    /** A command that reads these environment variables instead of the process's (for tests). */
    StatusCommand(Map<String, Object> environmentVariables) {
        this.environmentVariables = Map.copyOf(environmentVariables);
    }

    @Override
    public String name() {
        return "status";
    }

    @Override
    public String summary() {
        return "prints every node's sessions, messages, heap and health";
    }

    private record Request(@Nullable String url, @Nullable String apiKey, boolean json, List<String> settings) {
    }

    /** What went wrong talking to the node, for the person. */
    private static final class Failure extends Exception {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(USAGE_TEXT);
            return 0;
        }
        Request request;
        try {
            request = parse(args);
        } catch (BadArguments e) {
            err.println("pushgate status: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }
        String base;
        String key;
        try {
            ConfigurableEnvironment environment = ServerConfiguration.read(request.settings(), environmentVariables);
            base = request.url() != null ? request.url()
                    : "http://127.0.0.1:" + environment.getProperty("server.port", "8080");
            key = request.apiKey();
            if (key == null) {
                List<String> keys = Binder.get(environment).bindOrCreate("pushgate.api", PushgateProperties.Api.class).keys()
                        .stream().filter(k -> k != null && !k.isBlank()).toList();
                key = keys.isEmpty() ? null : keys.get(0);
            }
        } catch (RuntimeException e) { // a setting that does not bind; its message names it
            err.println("pushgate status: the configuration cannot be read: " + e.getMessage());
            return FAILED;
        }
        if (key == null || key.isBlank()) {
            err.println("pushgate status: no API key. Pass --api-key, or set PUSHGATE_API_KEYS as for the node.");
            return FAILED;
        }
        JsonNode stats;
        try {
            stats = fetch(base, key);
        } catch (Failure e) {
            err.println("pushgate status: " + e.getMessage());
            return FAILED;
        }
        List<JsonNode> unhealthy = new ArrayList<>();
        stats.path("nodes").forEach(n -> {
            if (!healthy(n)) {
                unhealthy.add(n);
            }
        });
        if (request.json()) {
            ObjectNode document = json.createObjectNode();
            document.put("url", base);
            document.put("at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            document.put("healthy", unhealthy.isEmpty());
            document.set("nodes", stats.path("nodes"));
            document.set("total", stats.path("total"));
            out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(document));
        } else {
            out.print(table(base, stats));
        }
        for (JsonNode n : unhealthy) {
            err.println("pushgate status: node '" + n.path("node").asString() + "' is unhealthy: " + state(n));
        }
        return unhealthy.isEmpty() ? 0 : FAILED;
    }

    private JsonNode fetch(String base, String key) throws Failure {
        URI uri;
        try {
            uri = new URI(base.endsWith("/") ? base + "api/v1/stats" : base + "/api/v1/stats");
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new URISyntaxException(base, "not an http(s) URL with a host");
            }
        } catch (URISyntaxException e) {
            throw new Failure("--url '" + base + "' is not an http:// or https:// URL");
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
        HttpRequest get = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + key).header("Accept", "application/json").GET().build();
        HttpResponse<String> answer;
        try {
            answer = client.send(get, HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException e) {
            throw new Failure("cannot reach " + base + ": no connection within " + TIMEOUT.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            throw new Failure(base + " did not answer within " + TIMEOUT.toSeconds() + " s");
        } catch (ConnectException e) {
            throw new Failure("cannot reach " + base + ": connection refused (is the node running, and is this its public port?)");
        } catch (IOException e) {
            throw new Failure("cannot reach " + base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        }
        JsonNode body;
        try {
            body = json.readTree(answer.body());
        } catch (JacksonException e) {
            body = null;
        }
        if (answer.statusCode() == 401) {
            throw new Failure(base + " refused the API key (" + problem(body, "401") + "): pass a key of the node's pushgate.api.keys");
        }
        if (answer.statusCode() != 200 || body == null || !body.path("nodes").isArray()) {
            throw new Failure(uri + " answered " + answer.statusCode() + (body == null ? ", not JSON: is this a pushgate node?"
                    : ": " + problem(body, "no stats")));
        }
        return body;
    }

    private static String problem(@Nullable JsonNode body, String otherwise) {
        if (body == null) {
            return otherwise;
        }
        String type = body.path("type").asString("");
        String detail = body.path("detail").asString("");
        String slug = type.substring(type.lastIndexOf(':') + 1);
        return slug.isEmpty() ? otherwise : slug + (detail.isEmpty() ? "" : ": " + detail);
    }

    static boolean healthy(JsonNode node) {
        // a node of a build without "healthy" is judged by what it said: nothing against it
        return node.path("healthy").asBoolean(true);
    }

    static String state(JsonNode node) {
        List<String> problems = new ArrayList<>();
        if (!node.path("accepting").asBoolean(true)) {
            problems.add("draining");
        }
        if ("degraded".equals(node.path("broker").asString(""))) {
            problems.add("broker degraded");
        }
        if (problems.isEmpty()) {
            return healthy(node) ? "ok" : "unhealthy";
        }
        return String.join(", ", problems);
    }

    /** The table, a line per node and one for the total, columns as wide as their widest cell. */
    static String table(String base, JsonNode stats) {
        List<JsonNode> nodes = new ArrayList<>();
        stats.path("nodes").forEach(nodes::add);
        JsonNode total = stats.path("total");
        TreeSet<String> seen = new TreeSet<>();
        for (JsonNode n : nodes) {
            seen.addAll(n.path("sessionsByTransport").propertyNames());
        }
        List<String> transports = new ArrayList<>();
        for (String t : TRANSPORT_ORDER) {
            if (seen.contains(t) || !"socket.io".equals(t)) { // socket.io only when some node serves it
                transports.add(t);
            }
        }
        seen.stream().filter(t -> !TRANSPORT_ORDER.contains(t)).forEach(transports::add);

        List<String> header = new ArrayList<>(List.of("node", "state", "uptime", "sessions"));
        header.addAll(transports);
        header.addAll(List.of("uids", "groups", "in/s", "out/s", "dropped", "heap", "broker"));
        List<List<String>> rows = new ArrayList<>();
        rows.add(header);
        for (JsonNode n : nodes) {
            rows.add(row(n, transports, true));
        }
        List<List<String>> footer = List.of(row(total, transports, false));

        int[] widths = new int[header.size()];
        for (List<String> row : concat(rows, footer)) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        String nl = System.lineSeparator();
        StringBuilder text = new StringBuilder();
        int healthy = (int) nodes.stream().filter(StatusCommand::healthy).count();
        text.append("pushgate status: ").append(base).append(", ").append(nodes.size()).append(nodes.size() == 1 ? " node" : " nodes")
                .append(", ").append(healthy == nodes.size() ? "all healthy" : (nodes.size() - healthy) + " unhealthy")
                .append(", at ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(nl);
        int width = 0;
        for (int w : widths) {
            width += w + 2;
        }
        for (int r = 0; r < rows.size(); r++) {
            line(text, rows.get(r), widths);
            if (r == 0) {
                text.append("-".repeat(width - 2)).append(nl);
            }
        }
        text.append("-".repeat(width - 2)).append(nl);
        line(text, footer.get(0), widths);
        return text.toString();
    }

    private static List<List<String>> concat(List<List<String>> a, List<List<String>> b) {
        List<List<String>> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void line(StringBuilder text, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            boolean left = i < 2 || i == cells.size() - 1; // names and states left, numbers right
            String padded = left ? cell + " ".repeat(widths[i] - cell.length()) : " ".repeat(widths[i] - cell.length()) + cell;
            line.append(padded).append(i == cells.size() - 1 ? "" : "  ");
        }
        text.append(line.toString().stripTrailing()).append(System.lineSeparator());
    }

    private static List<String> row(JsonNode n, List<String> transports, boolean perNode) {
        List<String> row = new ArrayList<>();
        row.add(n.path("node").asString("?"));
        row.add(perNode ? state(n) : (n.path("healthy").asBoolean(true) ? "ok" : "unhealthy"));
        row.add(n.has("uptimeSeconds") ? uptime(n.path("uptimeSeconds").asLong()) : "-");
        row.add(Long.toString(n.path("sessions").asLong()));
        for (String t : transports) {
            row.add(Long.toString(n.path("sessionsByTransport").path(t).asLong(0)));
        }
        row.add(Long.toString(n.path("uids").asLong()));
        row.add(Long.toString(n.path("groups").asLong()));
        row.add(String.format(Locale.ROOT, "%.1f", n.path("messagesInPerSecond").asDouble()));
        row.add(String.format(Locale.ROOT, "%.1f", n.path("messagesOutPerSecond").asDouble()));
        row.add(Long.toString(n.path("dropped").asLong()));
        row.add(n.has("heapMaxBytes") ? mebibytes(n.path("heapUsedBytes").asLong()) + "/" + mebibytes(n.path("heapMaxBytes").asLong()) + " MiB" : "-");
        row.add(perNode ? n.path("broker").asString("?") + (n.path("brokerLagMillis").asLong() > 0
                ? " (lag " + n.path("brokerLagMillis").asLong() + " ms)" : "") : "");
        return row;
    }

    private static long mebibytes(long bytes) {
        return Math.round(bytes / (1024.0 * 1024.0));
    }

    /** {@code 45s}, {@code 12m05s}, {@code 3h02m}, {@code 4d03h}. */
    static String uptime(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86400, seconds % 86400 / 3600);
    }

    private static Request parse(List<String> args) throws BadArguments {
        Arguments arguments = Arguments.parse(args, OPTIONS, Set.of("json"));
        for (String name : OPTIONS) {
            String value = arguments.option(name);
            if (value != null && value.isBlank()) {
                throw new BadArguments("--" + name + " needs a value");
            }
        }
        return new Request(arguments.option("url"), arguments.option("api-key"), arguments.flag("json"), arguments.settings());
    }
}
