package io.pushgate.php;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code php clients/php/tests/call.php}: one call of {@code Pushgate.php} per process, as a
 * PHP backend makes it, answered with what the method returned or threw.
 */
final class Php {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    static final String BINARY = System.getProperty("pushgate.php", "php");
    static final Path CLIENT_DIR = Path.of(System.getProperty("pushgate.php.client", "."));

    private final String url;
    private final String apiKey;

    Php(String url, String apiKey) {
        this.url = url;
        this.apiKey = apiKey;
    }

    /** Why php cannot run the client here (no php, no curl extension), or null when it can. */
    static String unusable() {
        try {
            Process process = new ProcessBuilder(BINARY, "-r", "exit(extension_loaded('curl') ? 0 : 3);")
                    .redirectErrorStream(true).start();
            process.getInputStream().transferTo(OutputStream.nullOutputStream());
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return BINARY + " did not answer within 30 s";
            }
            int exit = process.exitValue();
            return exit == 0 ? null : exit == 3 ? BINARY + " has no curl extension (Debian: php-curl)" : BINARY + " exited with " + exit;
        } catch (IOException e) {
            return BINARY + " cannot be run (Debian: sudo apt-get install php-cli php-curl): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The outcome of {@code Pushgate\<type>::<method>(...args)}. */
    Outcome call(String type, String method, Object... args) throws Exception {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("url", url);
        input.put("apiKey", apiKey);
        input.put("class", type);
        input.put("method", method);
        input.put("args", Arrays.asList(args));
        Path script = CLIENT_DIR.resolve("tests/call.php");
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException(script.toAbsolutePath() + " is missing");
        }
        // every notice and deprecation on stderr, which fails the call below: the client must run clean
        Process process = new ProcessBuilder(BINARY, "-d", "error_reporting=-1", "-d", "display_errors=stderr", script.toString()).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(JSON.writeValueAsBytes(input));
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("php " + type + "::" + method + " did not end within 60 s");
        }
        String stdout = out.get(10, TimeUnit.SECONDS);
        String stderr = err.get(10, TimeUnit.SECONDS);
        if (process.exitValue() != 0 || !stderr.isBlank()) {
            throw new AssertionError("php " + type + "::" + method + " exited with " + process.exitValue()
                    + "\nstdout: " + stdout + "\nstderr: " + stderr);
        }
        return new Outcome(type + "::" + method, JSON.readValue(stdout, MAP));
    }

    Object result(String type, String method, Object... args) throws Exception {
        return call(type, method, args).result();
    }

    Object gateway(String method, Object... args) throws Exception {
        return result("Gateway", method, args);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> publishAnswer(String method, Object... args) throws Exception {
        return (Map<String, Object>) gateway(method, args);
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What a call came to: its result, or the exception it threw (class, status, type, slug…). */
    record Outcome(String call, Map<String, Object> json) {

        Object result() {
            if (json.containsKey("exception")) {
                throw new AssertionError(call + " threw " + json.get("exception"));
            }
            return json.get("result");
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> exception() {
            if (!json.containsKey("exception")) {
                throw new AssertionError(call + " returned " + json.get("result") + " instead of throwing");
            }
            return (Map<String, Object>) json.get("exception");
        }
    }

    static List<Object> list(Object... items) {
        return Arrays.asList(items);
    }
}
