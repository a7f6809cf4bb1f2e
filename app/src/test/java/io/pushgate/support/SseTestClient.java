package io.pushgate.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A streaming Server-Sent Events client for tests, over the JDK's {@link HttpClient}. A background
 * thread reads the raw stream line by line and parses it as EventSource does (WHATWG HTML, "event
 * stream interpretation"): {@code id:}, {@code event:}, {@code data:} (several lines joined with
 * {@code \n}), {@code retry:}, and comment lines starting with {@code :}. Every raw line is kept too,
 * so tests can check the exact wire format.
 *
 * <p>Unlike EventSource it never reconnects: a test reconnects explicitly with {@link #lastEventId()}.
 */
public final class SseTestClient implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(WAIT)
            .build();

    /**
     * One dispatched event.
     *
     * @param id    the {@code id:} field of this event's block, or {@code null} when the block had none
     * @param event the {@code event:} field, {@code "message"} when absent (as EventSource reports it)
     * @param data  the {@code data:} lines joined with {@code \n}
     */
    public record Event(@Nullable String id, String event, String data) {

        public JsonNode json() {
            return JSON.readTree(data);
        }
    }

    private final HttpResponse<InputStream> response;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> retries = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final @Nullable String body;
    private volatile @Nullable String lastEventId;
    private volatile boolean closing;

    private SseTestClient(HttpResponse<InputStream> response) throws IOException {
        this.response = response;
        if (response.statusCode() == 200) {
            this.body = null;
            Thread reader = new Thread(this::read, "sse-test-client");
            reader.setDaemon(true);
            reader.start();
        } else {
            try (InputStream in = response.body()) {
                this.body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            ended.complete(null);
        }
    }

    /** {@code GET /sse} with the query (may be empty), no extra headers. */
    public static SseTestClient open(int port, String query) {
        return open(port, query, Map.of());
    }

    /** {@code GET /sse?<query>} with extra request headers (such as {@code Last-Event-ID} or {@code Cookie}). */
    public static SseTestClient open(int port, String query, Map<String, String> headers) {
        return open(URI.create("http://localhost:" + port + "/sse" + (query.isEmpty() ? "" : "?" + query)), headers);
    }

    /** Sends the request and returns once the response headers are in; the stream is then read in the background. */
    public static SseTestClient open(URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().header("Accept", "text/event-stream");
        headers.forEach(request::header);
        try {
            HttpResponse<InputStream> response = HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream())
                    .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return new SseTestClient(response);
        } catch (ExecutionException e) {
            throw new IllegalStateException("SSE request failed", e.getCause());
        } catch (InterruptedException | TimeoutException | IOException e) {
            throw new IllegalStateException("SSE request failed", e);
        }
    }

    public int status() {
        return response.statusCode();
    }

    public HttpHeaders headers() {
        return response.headers();
    }

    public @Nullable String header(String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** The whole body of a response that was not a 200 stream (a problem document), else {@code null}. */
    public @Nullable String body() {
        return body;
    }

    public JsonNode bodyJson() {
        if (body == null) {
            throw new AssertionError("the response is a stream with status " + status() + ", not a document");
        }
        return JSON.readTree(body);
    }

    /** The last {@code id:} seen, as EventSource keeps it for {@code Last-Event-ID}. */
    public @Nullable String lastEventId() {
        return lastEventId;
    }

    /** Every raw line read so far, in order, without line terminators. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** The values of every {@code retry:} field so far. */
    public List<Long> retries() {
        synchronized (retries) {
            return List.copyOf(retries);
        }
    }

    /** The next event, failing after {@link #WAIT}. */
    public Event next() {
        return next(WAIT);
    }

    public Event next(Duration timeout) {
        return next(e -> true, timeout);
    }

    /** Skips events until one matches, failing after {@code timeout}. */
    public Event next(Predicate<Event> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Event> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            Event event;
            try {
                event = left <= 0 ? events.poll() : events.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (event == null) {
                throw new AssertionError("no matching event within " + timeout + (ended.isDone() ? " (stream ended)" : "; " + ThreadDump.print("no SSE event"))
                        + "; skipped " + skipped);
            }
            if (wanted.test(event)) {
                return event;
            }
            skipped.add(event);
        }
    }

    /** The next event named {@code name}, skipping others. */
    public Event nextEvent(String name) {
        return next(e -> name.equals(e.event()), WAIT);
    }

    /** The next event that carries an {@code id:}, which is a message; skips welcome, reset and close. */
    public Event nextMessage() {
        return next(e -> e.id() != null, WAIT);
    }

    /** The next comment line's text (after the colon), failing after {@code timeout}. */
    public String nextComment(Duration timeout) {
        try {
            String comment = comments.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (comment == null) {
                throw new AssertionError("no comment line within " + timeout);
            }
            return comment;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits for the server to end the stream. */
    public void awaitEnd() {
        try {
            ended.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("the stream did not end within " + WAIT, e);
        }
    }

    public boolean isEnded() {
        return ended.isDone();
    }

    /** Drops the connection, as a closed browser tab does. */
    @Override
    public void close() {
        closing = true;
        try {
            response.body().close();
        } catch (IOException e) {
            // already gone
        }
    }

    private void read() {
        String id = null;
        String event = null;
        StringBuilder data = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (line.isEmpty()) { // dispatch
                    if (data != null) {
                        events.add(new Event(id, event == null ? "message" : event, data.toString()));
                    }
                    id = null;
                    event = null;
                    data = null;
                    continue;
                }
                if (line.startsWith(":")) {
                    comments.add(stripSpace(line.substring(1)));
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : stripSpace(line.substring(colon + 1));
                switch (field) {
                    case "id" -> {
                        id = value;
                        lastEventId = value;
                    }
                    case "event" -> event = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    case "retry" -> {
                        if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
                            retries.add(Long.parseLong(value));
                        }
                    }
                    default -> { } // ignored, as EventSource does
                }
            }
            ended.complete(null);
        } catch (IOException | RuntimeException e) {
            if (closing) {
                ended.complete(null);
            } else {
                ended.completeExceptionally(e);
            }
        }
    }

    private static String stripSpace(String value) {
        return value.startsWith(" ") ? value.substring(1) : value;
    }
}
