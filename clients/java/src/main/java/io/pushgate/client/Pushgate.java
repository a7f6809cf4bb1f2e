package io.pushgate.client;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A backend's handle on pushgate: GatewayWorker's {@code GatewayClient} operations over pushgate's
 * {@code /api/v1}, on the JDK's {@link HttpClient}.
 *
 * <pre>{@code
 * Pushgate pushgate = Pushgate.builder().url("http://localhost:8080").apiKey(System.getenv("PUSHGATE_API_KEY")).build();
 * pushgate.sendToUid("42", "new_msg", Map.of("text", "hello"));
 * }</pre>
 *
 * <p>Thread-safe; build one and share it (it holds a pooled, kept-alive {@link HttpClient}). Every
 * operation has a synchronous form, which throws {@link PushgateException}, and an {@code …Async} form,
 * whose future completes exceptionally with the same exception (wrapped in a
 * {@link CompletionException} where {@link CompletableFuture#join()} puts it).
 *
 * <p><b>Retries</b> happen only where repeating cannot do something twice: GETs, and publishes that
 * carry an idempotency key ({@link Message#idempotencyKey(String)}; a batch only when every item has
 * one). They are retried on a 503 or when the server could not be reached, up to
 * {@link Builder#maxRetries(int)} times, waiting {@link Builder#retryBackoff(Duration)} doubled at each
 * attempt (with jitter, at most 5 s, at least the server's {@code Retry-After}). Anything else is tried
 * once: a publish without a key that failed with {@link PushgateException#outcomeUnknown()} is left to
 * the caller, who alone knows whether a second delivery is acceptable.
 *
 * <p><b>Many publishes?</b> {@link #openStream()} opens a publish stream: publishes pipelined on one
 * WebSocket, each answered in order, at a fraction of the server's cost of a request.
 *
 * <p>Not here yet: {@code setSession}/{@code getSession}, which need the server's session data
 * endpoint ({@code /api/v1/clients/{id}/data}), not yet served.
 */
public final class Pushgate {

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final URI api;
    private final String authorization;
    private final HttpClient http;
    private final Duration timeout;
    private final int maxRetries;
    private final Duration retryBackoff;
    private final Duration connectTimeout;

    private Pushgate(Builder b) {
        String base = Objects.requireNonNull(b.url, "url is required").toString();
        this.api = URI.create((base.endsWith("/") ? base : base + "/") + "api/v1/");
        this.authorization = "Bearer " + Objects.requireNonNull(b.apiKey, "apiKey is required");
        this.http = b.httpClient != null ? b.httpClient
                : HttpClient.newBuilder().connectTimeout(b.connectTimeout).version(HttpClient.Version.HTTP_1_1).build();
        this.timeout = b.timeout;
        this.maxRetries = b.maxRetries;
        this.retryBackoff = b.retryBackoff;
        this.connectTimeout = b.connectTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a {@link Pushgate}; {@code url} and {@code apiKey} are required. */
    public static final class Builder {
        private URI url;
        private String apiKey;
        private HttpClient httpClient;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration timeout = Duration.ofSeconds(10);
        private int maxRetries = 3;
        private Duration retryBackoff = Duration.ofMillis(100);

        private Builder() {
        }

        /** The server's base address, e.g. {@code http://pushgate:8080} or {@code https://example.com/push}. */
        public Builder url(String url) {
            return url(URI.create(url));
        }

        public Builder url(URI url) {
            this.url = url;
            return this;
        }

        /** One of the server's {@code pushgate.api.keys}. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** Use this client instead of one built here (its own connect timeout, proxy, TLS, executor). */
        public Builder httpClient(HttpClient httpClient) {
            this.httpClient = httpClient;
            return this;
        }

        /** Connect timeout of the client built here (default 5 s). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** How long one attempt waits for its answer (default 10 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Retries of an idempotent call after the first attempt (default 3; 0 never retries). */
        public Builder maxRetries(int maxRetries) {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be >= 0");
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /** The wait before the first retry, doubled at each next one (default 100 ms). */
        public Builder retryBackoff(Duration retryBackoff) {
            this.retryBackoff = retryBackoff;
            return this;
        }

        public Pushgate build() {
            return new Pushgate(this);
        }
    }

    // ---- publish ---------------------------------------------------------------------------------

    /** GatewayWorker's {@code sendToUid}: the event {@code "message"} to every session of the uid. */
    public PublishResult sendToUid(String uid, Object data) {
        return publish(Message.toUids(uid).data(data));
    }

    public PublishResult sendToUid(String uid, String event, Object data) {
        return publish(Message.toUids(uid).event(event).data(data));
    }

    public CompletableFuture<PublishResult> sendToUidAsync(String uid, String event, Object data) {
        return publishAsync(Message.toUids(uid).event(event).data(data));
    }

    /** GatewayWorker's {@code sendToGroup}. */
    public PublishResult sendToGroup(String group, Object data) {
        return publish(Message.toGroups(group).data(data));
    }

    public PublishResult sendToGroup(String group, String event, Object data) {
        return publish(Message.toGroups(group).event(event).data(data));
    }

    public CompletableFuture<PublishResult> sendToGroupAsync(String group, String event, Object data) {
        return publishAsync(Message.toGroups(group).event(event).data(data));
    }

    /** GatewayWorker's {@code sendToAll}: every connected session. */
    public PublishResult sendToAll(Object data) {
        return publish(Message.toAll().data(data));
    }

    public PublishResult sendToAll(String event, Object data) {
        return publish(Message.toAll().event(event).data(data));
    }

    public CompletableFuture<PublishResult> sendToAllAsync(String event, Object data) {
        return publishAsync(Message.toAll().event(event).data(data));
    }

    /** GatewayWorker's {@code sendToClient}: one connection. */
    public PublishResult sendToClient(String clientId, String event, Object data) {
        return publish(Message.toClients(clientId).event(event).data(data));
    }

    public CompletableFuture<PublishResult> sendToClientAsync(String clientId, String event, Object data) {
        return publishAsync(Message.toClients(clientId).event(event).data(data));
    }

    /** {@code POST /api/v1/messages}; the message's idempotency key, if any, goes as the {@code Idempotency-Key} header. */
    public PublishResult publish(Message message) {
        return join(publishAsync(message));
    }

    public CompletableFuture<PublishResult> publishAsync(Message message) {
        String key = message.idempotencyKey();
        HttpRequest.Builder request = request("messages").POST(body(message.toJson(false)));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return send(request.build(), key != null).thenApply(answer -> result(object(answer)));
    }

    /**
     * {@code POST /api/v1/messages:batch}: validated whole by the server (one bad item publishes
     * nothing), answered item by item in order. Retried only when every item has an idempotency key.
     */
    public List<PublishResult> publishBatch(List<Message> messages) {
        return join(publishBatchAsync(messages));
    }

    public CompletableFuture<List<PublishResult>> publishBatchAsync(List<Message> messages) {
        List<Object> items = new ArrayList<>();
        boolean allKeyed = !messages.isEmpty();
        for (Message m : messages) {
            items.add(m.toJson(true));
            allKeyed &= m.idempotencyKey() != null;
        }
        return send(request("messages:batch").POST(body(items)).build(), allKeyed).thenApply(answer -> {
            List<PublishResult> results = new ArrayList<>();
            for (Object item : (List<?>) answer) {
                results.add(result((Map<?, ?>) item));
            }
            return results;
        });
    }

    /** The default of {@link #openStream(int)}: the server's default {@code pushgate.api.stream-max-in-flight}. */
    public static final int STREAM_IN_FLIGHT = 64;

    /**
     * Opens a publish stream ({@code GET /api/v1/stream}, a WebSocket on this client's {@link HttpClient}):
     * publishes pipelined on one connection, answered in order; see {@link PushgateStream}. Close it when done.
     *
     * @throws PushgateException when it cannot be opened (a wrong key: status 401)
     */
    public PushgateStream openStream() {
        return openStream(STREAM_IN_FLIGHT);
    }

    /** As {@link #openStream()}, with at most {@code maxInFlight} publishes unanswered at once. */
    public PushgateStream openStream(int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1");
        }
        String http = api.toString();
        URI ws = URI.create((http.startsWith("https:") ? "wss:" + http.substring(6) : "ws:" + http.substring(http.indexOf(':') + 1)) + "stream");
        return PushgateStream.open(this.http, ws, authorization, connectTimeout, maxInFlight);
    }

    // ---- presence --------------------------------------------------------------------------------

    /** GatewayWorker's {@code isUidOnline}: whether the uid has a session anywhere in the cluster. */
    public boolean isUidOnline(String uid) {
        return join(isUidOnlineAsync(uid));
    }

    public CompletableFuture<Boolean> isUidOnlineAsync(String uid) {
        return get("uids/" + segment(uid)).thenApply(answer -> Boolean.TRUE.equals(object(answer).get("online")));
    }

    /** GatewayWorker's {@code getClientIdByUid}: the uid's connections, empty when it is offline. */
    public List<String> getClientIdByUid(String uid) {
        return join(getClientIdByUidAsync(uid));
    }

    public CompletableFuture<List<String>> getClientIdByUidAsync(String uid) {
        return get("uids/" + segment(uid)).thenApply(answer -> strings(object(answer).get("clientIds")));
    }

    /** GatewayWorker's {@code getAllUidCount}: distinct online uids across the cluster. */
    public long getAllUidCount() {
        return join(getAllUidCountAsync());
    }

    public CompletableFuture<Long> getAllUidCountAsync() {
        return get("uids?online&limit=1").thenApply(answer -> ((Number) object(answer).get("count")).longValue());
    }

    // ---- groups and connections --------------------------------------------------------------------

    /** GatewayWorker's {@code joinGroup}: one connection joins the group (404 {@code client-not-found} if it is not connected). */
    public void joinGroup(String clientId, String group) {
        join(joinGroupAsync(clientId, group));
    }

    public CompletableFuture<Void> joinGroupAsync(String clientId, String group) {
        return send(request("groups/" + segment(group) + "/clients/" + segment(clientId))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), false).thenApply(answer -> null);
    }

    /** GatewayWorker's {@code leaveGroup}. */
    public void leaveGroup(String clientId, String group) {
        join(leaveGroupAsync(clientId, group));
    }

    public CompletableFuture<Void> leaveGroupAsync(String clientId, String group) {
        return send(request("groups/" + segment(group) + "/clients/" + segment(clientId)).DELETE().build(), false)
                .thenApply(answer -> null);
    }

    // ---- session data --------------------------------------------------------------------------------

    /**
     * GatewayWorker's {@code setSession}: replaces the connection's session data, a small JSON object the
     * server carries in every backend event of that connection. Values as {@link Json#write} takes them.
     *
     * @return the session data now stored
     * @throws PushgateException 404 {@code client-not-found}, 413 {@code session-data-too-large}
     */
    public Map<String, Object> setSession(String clientId, Map<String, ?> data) {
        return join(setSessionAsync(clientId, data));
    }

    public CompletableFuture<Map<String, Object>> setSessionAsync(String clientId, Map<String, ?> data) {
        return send(request("clients/" + segment(clientId) + "/data").PUT(body(data)).build(), false)
                .thenApply(Pushgate::sessionData);
    }

    /**
     * GatewayWorker's {@code updateSession}: merges the members into the connection's session data; a
     * {@code null} value removes that member.
     *
     * @return the session data after the merge
     */
    public Map<String, Object> updateSession(String clientId, Map<String, ?> members) {
        return join(updateSessionAsync(clientId, members));
    }

    public CompletableFuture<Map<String, Object>> updateSessionAsync(String clientId, Map<String, ?> members) {
        return send(request("clients/" + segment(clientId) + "/data").method("PATCH", body(members)).build(), false)
                .thenApply(Pushgate::sessionData);
    }

    /** GatewayWorker's {@code getSession}: the connection's session data, or {@code null} when it is not connected. */
    public Map<String, Object> getSession(String clientId) {
        return join(getSessionAsync(clientId));
    }

    public CompletableFuture<Map<String, Object>> getSessionAsync(String clientId) {
        return get("clients/" + segment(clientId) + "/data").thenApply(Pushgate::sessionData)
                .exceptionally(e -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof PushgateException p && p.status() == 404 && p.slug().equals("client-not-found")) {
                        return null;
                    }
                    throw e instanceof CompletionException c ? c : new CompletionException(cause);
                });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sessionData(Object answer) {
        return (Map<String, Object>) object(answer);
    }

    /**
     * GatewayWorker's {@code closeClient}: closes the connection (close code 4403).
     *
     * @return false when no such connection was open (the server's 404 {@code client-not-found})
     */
    public boolean closeClient(String clientId) {
        return join(closeClientAsync(clientId));
    }

    public CompletableFuture<Boolean> closeClientAsync(String clientId) {
        return send(request("clients/" + segment(clientId)).DELETE().build(), false)
                .thenApply(answer -> true)
                .exceptionally(e -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof PushgateException p && p.status() == 404 && p.slug().equals("client-not-found")) {
                        return false;
                    }
                    throw e instanceof CompletionException c ? c : new CompletionException(cause);
                });
    }

    // ---- transport -------------------------------------------------------------------------------

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(api + path)) // not resolve(): "messages:batch" would read as a scheme
                .timeout(timeout)
                .header("Authorization", authorization)
                .header("Accept", "application/json, application/problem+json");
    }

    private static HttpRequest.BodyPublisher body(Object json) {
        return HttpRequest.BodyPublishers.ofString(Json.write(json), StandardCharsets.UTF_8);
    }

    private CompletableFuture<Object> get(String path) {
        return send(request(path).GET().build(), true);
    }

    /** Sends with the JSON content type where there is a body, retrying only when {@code idempotent}. */
    private CompletableFuture<Object> send(HttpRequest request, boolean idempotent) {
        HttpRequest withType = request.bodyPublisher().map(p -> p.contentLength() != 0).orElse(false)
                ? HttpRequest.newBuilder(request, (name, value) -> true).header("Content-Type", "application/json").build()
                : request;
        return attempt(withType, idempotent, 0);
    }

    private CompletableFuture<Object> attempt(HttpRequest request, boolean idempotent, int attempt) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                        if (idempotent && attempt < maxRetries && cause instanceof IOException) {
                            return retry(request, attempt, Duration.ZERO);
                        }
                        String what = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
                        // a refused connection sent nothing; a timeout or a reset may have come after the server
                        // took the request, so a publish's outcome is then unknown
                        boolean unknown = request.method().equals("POST") && !(cause instanceof java.net.ConnectException);
                        return CompletableFuture.<Object>failedFuture(new PushgateException(0, PushgateException.CONNECTION_FAILED,
                                "no answer from " + request.uri() + ": " + what, unknown, cause));
                    }
                    int status = response.statusCode();
                    if (status >= 200 && status < 300) {
                        try {
                            return CompletableFuture.completedFuture(response.body().isBlank() ? null : Json.read(response.body()));
                        } catch (RuntimeException e) {
                            return CompletableFuture.<Object>failedFuture(new PushgateException(status,
                                    "urn:pushgate:client:malformed-answer", "the answer is not the JSON expected: " + e.getMessage(), false, e));
                        }
                    }
                    if (status == 503 && idempotent && attempt < maxRetries) {
                        return retry(request, attempt, retryAfter(response));
                    }
                    return CompletableFuture.<Object>failedFuture(problem(response));
                })
                .thenCompose(f -> f);
    }

    private CompletableFuture<Object> retry(HttpRequest request, int attempt, Duration atLeast) {
        long base = retryBackoff.toMillis() << Math.min(attempt, 20);
        long capped = Math.min(base, MAX_BACKOFF.toMillis());
        // jitter in [capped/2, capped]: clients that failed together do not all come back together
        long delay = Math.max(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1), atLeast.toMillis());
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS))
                .thenCompose(ignored -> attempt(request, true, attempt + 1));
    }

    private static Duration retryAfter(HttpResponse<String> response) {
        try {
            return response.headers().firstValue("Retry-After").map(s -> Duration.ofSeconds(Math.min(Long.parseLong(s.trim()), 30)))
                    .orElse(Duration.ZERO);
        } catch (NumberFormatException e) {
            return Duration.ZERO;
        }
    }

    private static PushgateException problem(HttpResponse<String> response) {
        int status = response.statusCode();
        String body = response.body() == null ? "" : response.body();
        try {
            if (Json.read(body) instanceof Map<?, ?> p && p.get("type") instanceof String type) {
                Object detail = p.get("detail") != null ? p.get("detail") : p.get("title");
                return new PushgateException(status, type, detail == null ? "" : detail.toString(),
                        "unknown".equals(p.get("outcome")), null);
            }
        } catch (IllegalArgumentException notJson) {
            // a proxy's page, not pushgate's problem: reported as it is below
        }
        String text = body.length() > 200 ? body.substring(0, 200) + "…" : body;
        return new PushgateException(status, "about:blank", text.isBlank() ? "HTTP " + status : text, false, null);
    }

    // ---- answers ---------------------------------------------------------------------------------

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof PushgateException p) {
                throw p;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private static Map<?, ?> object(Object answer) {
        if (answer instanceof Map<?, ?> map) {
            return map;
        }
        throw new PushgateException(200, "urn:pushgate:client:malformed-answer", "expected a JSON object, got " + answer, false, null);
    }

    static PublishResult result(Map<?, ?> answer) {
        Object sessions = answer.get("sessions");
        return new PublishResult(String.valueOf(answer.get("id")), sessions instanceof Number n ? n.longValue() : 0,
                strings(answer.get("online")), strings(answer.get("offline")), Boolean.TRUE.equals(answer.get("duplicate")));
    }

    private static List<String> strings(Object list) {
        List<String> out = new ArrayList<>();
        if (list instanceof Collection<?> items) {
            items.forEach(item -> out.add(String.valueOf(item)));
        }
        return List.copyOf(out);
    }

    /** One path segment: names may hold any character but whitespace, so '/', '?', '#' and '%' are escaped. */
    private static String segment(String name) {
        return URLEncoder.encode(Objects.requireNonNull(name, "name"), StandardCharsets.UTF_8).replace("+", "%20");
    }
}
