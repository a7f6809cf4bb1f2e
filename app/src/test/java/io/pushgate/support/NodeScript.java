package io.pushgate.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Node.js script of {@code app/src/test/node} driving a stock npm client (installed by {@code npm ci} in that
 * folder): each line it prints is one JSON object, one thing the client reported; each line written to it
 * ({@link #send}) is a command, for scripts that take them. It exits when its stdin closes.
 */
public class NodeScript implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(20);
    static final Path HOME = Path.of("src/test/node").toAbsolutePath();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Process process;
    private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
    private final List<JsonNode> seen = new ArrayList<>();
    private final Path errors;

    protected NodeScript(Process process, Path errors) {
        this.process = process;
        this.errors = errors;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(JSON.readTree(line));
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "node-script-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code node <script> <args…>} in the scripts' folder.
     *
     * @param needs a package the script needs, to tell a missing {@code npm ci} from a failure
     * @param env   more environment, e.g. {@code NODE_EXTRA_CA_CERTS} for a test CA
     */
    protected static Started launch(String script, String needs, List<String> args, Map<String, String> env) {
        if (!Files.isDirectory(HOME.resolve("node_modules").resolve(needs))) {
            throw new IllegalStateException(needs + " is not installed: run npm ci in " + HOME);
        }
        try {
            Path errors = Files.createTempFile("node-script", ".err");
            List<String> command = new ArrayList<>();
            command.add(System.getProperty("pushgate.e2e.node", "node"));
            command.add(script);
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(HOME.toFile())
                    .redirectError(errors.toFile());
            builder.environment().putAll(env);
            return new Started(builder.start(), errors);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start node", e);
        }
    }

    /** A started script's process and the file its stderr goes to. */
    protected record Started(Process process, Path errors) {
    }

    /** Writes one command line to the script. */
    public void send(String json) {
        try {
            process.getOutputStream().write((json + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        } catch (IOException e) {
            throw new IllegalStateException("the script has ended" + errorOutput(), e);
        }
    }

    /** The next line that matches, skipping others (they stay in {@link #seen()}). */
    public JsonNode await(Predicate<JsonNode> wanted, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                JsonNode line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("the client never reported " + what + "; it reported " + seen + errorOutput());
                }
                seen.add(line);
                if (wanted.test(line)) {
                    return line;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A matching line the client printed already (skipped by an earlier wait), or the next one that matches. */
    public JsonNode find(Predicate<JsonNode> wanted, String what) {
        return seen.stream().filter(wanted).findFirst().orElseGet(() -> await(wanted, what));
    }

    /** A line with {@code field} the client printed already, or the next one. */
    public JsonNode reported(String field) {
        return seen.stream().filter(line -> line.has(field)).findFirst().orElseGet(() -> awaitField(field));
    }

    public JsonNode awaitField(String field) {
        return await(line -> line.has(field), field);
    }

    /** The next event the server emitted to the client. */
    public JsonNode awaitEvent(String event) {
        return await(line -> event.equals(line.path("event").asString("")), "event " + event);
    }

    public List<JsonNode> seen() {
        return seen;
    }

    protected String errorOutput() {
        try {
            String text = Files.readString(errors);
            return text.isBlank() ? "" : "; stderr: " + text;
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close(); // the script exits when its stdin closes
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            Files.deleteIfExists(errors);
        } catch (IOException e) {
            // a temp file
        }
    }
}
