package io.pushgate.support;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A long-poll client for tests: {@code GET /poll?token=…&cursor=…} over the JDK's {@link HttpClient},
 * remembering the cursor of each answer as a browser client would.
 */
public final class PollTestClient {

    public static final Duration WAIT = Duration.ofSeconds(15);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(WAIT)
            .build();

    /**
     * One poll's answer.
     *
     * @param status      the HTTP status
     * @param contentType the {@code Content-Type} of the answer, empty when none
     * @param json      the parsed body
     * @param startedAt {@link System#nanoTime()} when the request was sent
     * @param endedAt   {@link System#nanoTime()} when the answer was in
     */
    public record Answer(int status, String contentType, JsonNode json, long startedAt, long endedAt) {

        public List<JsonNode> messages() {
            List<JsonNode> out = new ArrayList<>();
            json.path("messages").forEach(out::add);
            return out;
        }

        public List<String> ids() {
            return messages().stream().map(m -> m.path("id").asString()).toList();
        }

        public String cursor() {
            return json.path("cursor").asString();
        }

        public Duration took() {
            return Duration.ofNanos(endedAt - startedAt);
        }
    }

    private final int port;
    private final String token;
    private volatile @Nullable String cursor;

    public PollTestClient(int port, String token) {
        this.port = port;
        this.token = token;
    }

    public @Nullable String cursor() {
        return cursor;
    }

    /** Continues from this cursor at the next {@link #poll()}. */
    public PollTestClient cursor(@Nullable String cursor) {
        this.cursor = cursor;
        return this;
    }

    /** Polls from the current cursor (none at first) and, on a 200, takes the answer's cursor. */
    public Answer poll() {
        return join(pollAsync());
    }

    /** Starts a poll from the current cursor; the cursor is taken from the answer when it arrives. */
    public CompletableFuture<Answer> pollAsync() {
        return send(cursor).thenApply(answer -> {
            if (answer.status() == 200) {
                cursor = answer.cursor();
            }
            return answer;
        });
    }

    /** One poll with exactly this cursor (or none), leaving this client's cursor alone. */
    public Answer pollWith(@Nullable String cursorText) {
        return join(send(cursorText));
    }

    /**
     * Polls until {@code count} messages have arrived (message frames only, in order), failing when a
     * poll answers with nothing new or a poll is not answered in time.
     */
    public List<JsonNode> pollMessages(int count) {
        List<JsonNode> got = new ArrayList<>();
        while (got.size() < count) {
            Answer answer = poll();
            if (answer.status() != 200) {
                throw new AssertionError("poll answered " + answer.status() + ": " + answer.json());
            }
            List<JsonNode> messages = answer.messages();
            if (messages.isEmpty()) {
                throw new AssertionError("a poll answered empty after " + got.size() + " of " + count + " messages");
            }
            got.addAll(messages);
        }
        return got;
    }

    /** The client id of this poller's session: the part of its cursor after {@code ~}. */
    public String clientId() {
        String text = cursor;
        int at = text == null ? -1 : text.indexOf('~');
        if (at < 0) {
            throw new AssertionError("the cursor names no session: " + text);
        }
        return text.substring(at + 1);
    }

    /** {@code POST /client/<command>} with this poller's token, as {@code Authorization: Bearer}. */
    public Answer command(String command, String json) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/client/" + command))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).timeout(WAIT).build();
        long started = System.nanoTime();
        return join(HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> new Answer(response.statusCode(),
                        response.headers().firstValue("Content-Type").orElse(""), JSON.readTree(response.body()), started,
                        System.nanoTime())));
    }

    private CompletableFuture<Answer> send(@Nullable String cursorText) {
        String query = "token=" + encode(token) + (cursorText == null ? "" : "&cursor=" + encode(cursorText));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/poll?" + query))
                .GET().timeout(WAIT).build();
        long started = System.nanoTime();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> new Answer(response.statusCode(),
                        response.headers().firstValue("Content-Type").orElse(""), JSON.readTree(response.body()), started,
                        System.nanoTime()));
    }

    public static Answer join(CompletableFuture<Answer> pending) {
        try {
            return pending.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("poll failed", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("poll not answered within " + WAIT + "; " + ThreadDump.print("no poll answer"), e);
        }
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
