package io.pushgate.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;


import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.awaitility.Awaitility;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A backend as a user would write one, on a free loopback port: {@code /events} takes event batches and
 * {@code /rpc} answers clients' calls. Every request's {@code X-Pushgate-Signature} is checked here, with
 * an HMAC computed independently of pushgate's code; a request whose signature does not verify is answered
 * 401 and counted, and the test fails on it through {@link #badSignatures()}.
 */
public final class TestBackend implements AutoCloseable {

    public static final String SECRET = ConnectBackend.SECRET; // one secret signs everything pushgate sends the backend
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One call as the backend received it. */
    public record Call(JsonNode body, String signature) {
    }

    private final HttpServer server;
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final List<JsonNode> batches = new CopyOnWriteArrayList<>();
    private final List<String> rawBatches = new CopyOnWriteArrayList<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger badSignatures = new AtomicInteger();
    private final AtomicInteger refusedBatches = new AtomicInteger();
    private volatile boolean down;
    private volatile Function<JsonNode, Answer> rpc = call -> new Answer(200, "{\"echo\":" + call.path("data") + "}");

    /** What {@code /rpc} answers. */
    public record Answer(int status, String body) {
    }

    private TestBackend(HttpServer server) {
        this.server = server;
        server.createContext("/events", this::events);
        server.createContext("/rpc", this::rpc);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-backend");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public static TestBackend start() {
        try {
            return new TestBackend(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The settings that point a node at this backend. */
    public String[] properties() {
        return new String[] {"pushgate.events.url=" + url("/events"), "pushgate.events.rpc-url=" + url("/rpc"),
                "pushgate.events.secret=" + SECRET, "pushgate.events.retry-min=50ms", "pushgate.events.retry-max=500ms"};
    }

    /** Points a test's server at this backend, as {@link #properties()} says. */
    public void register(org.springframework.test.context.DynamicPropertyRegistry registry) {
        for (String property : properties()) {
            int at = property.indexOf('=');
            registry.add(property.substring(0, at), () -> property.substring(at + 1));
        }
    }

    /** While down, every request is answered 503, as a backend being deployed would. */
    public void down(boolean down) {
        this.down = down;
    }

    public void answerCalls(Function<JsonNode, Answer> answer) {
        this.rpc = answer;
    }

    public List<JsonNode> events() {
        return List.copyOf(events);
    }

    public List<JsonNode> batches() {
        return List.copyOf(batches);
    }

    /** The batches' bodies as they were sent, byte for byte. */
    public List<String> rawBatches() {
        return List.copyOf(rawBatches);
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public int badSignatures() {
        return badSignatures.get();
    }

    /** Batches answered 503 while down. */
    public int refusedBatches() {
        return refusedBatches.get();
    }

    /** The events that match, in the order they came, once there are {@code count} of them. */
    public List<JsonNode> await(Predicate<JsonNode> wanted, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> matching(wanted).size() >= count);
        return matching(wanted);
    }

    public List<JsonNode> matching(Predicate<JsonNode> wanted) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode event : events) {
            if (wanted.test(event)) {
                found.add(event);
            }
        }
        return found;
    }

    /** Events of the client, in order: a WebSocket's connect, message, disconnect… */
    public static Predicate<JsonNode> ofClient(String clientId) {
        return e -> clientId.equals(e.path("clientId").asString());
    }

    public static Predicate<JsonNode> ofUid(String uid) {
        return e -> uid.equals(e.path("uid").asString());
    }

    public static Predicate<JsonNode> type(String type) {
        return e -> type.equals(e.path("type").asString());
    }

    private void events(HttpExchange exchange) throws IOException {
        byte[] body = BackendRequests.body(exchange);
        if (!verified(exchange, body)) {
            BackendRequests.respond(exchange, 401, "{}");
            return;
        }
        if (down) {
            refusedBatches.incrementAndGet();
            BackendRequests.respond(exchange, 503, "{}");
            return;
        }
        JsonNode batch = JSON.readTree(body);
        rawBatches.add(new String(body, StandardCharsets.UTF_8));
        batches.add(batch);
        batch.path("events").forEach(events::add);
        BackendRequests.respond(exchange, 200, "{}");
    }

    private void rpc(HttpExchange exchange) throws IOException {
        byte[] body = BackendRequests.body(exchange);
        if (!verified(exchange, body)) {
            BackendRequests.respond(exchange, 401, "{}");
            return;
        }
        JsonNode call = JSON.readTree(body);
        calls.add(new Call(call, exchange.getRequestHeaders().getFirst("X-Pushgate-Signature")));
        Answer answer = down ? new Answer(503, "{}") : rpc.apply(call);
        BackendRequests.respond(exchange, answer.status(), answer.body());
    }

    private boolean verified(HttpExchange exchange, byte[] body) {
        if (BackendRequests.signed(SECRET, exchange.getRequestHeaders().getFirst("X-Pushgate-Signature"), body)) {
            return true;
        }
        badSignatures.incrementAndGet();
        return false;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
