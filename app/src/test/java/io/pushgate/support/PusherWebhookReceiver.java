package io.pushgate.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.awaitility.Awaitility;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An app's endpoint for Pusher's webhooks, as a user would write one, on a free loopback port at
 * {@code /pusher/webhooks}. Every request's {@code X-Pusher-Key} and {@code X-Pusher-Signature} (hex
 * HMAC-SHA256 of the raw body with the app secret) are checked here, with an HMAC computed independently of
 * pushgate's code; a request that fails is answered 401 and counted ({@link #badSignatures()}). Requests are
 * kept as they came, so a test can hand one to the {@code pusher} SDK's {@code webhook(…)}.
 */
public final class PusherWebhookReceiver implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One request as received: its headers (lower-case names, as Node hands them to the SDK) and raw body. */
    public record Request(Map<String, String> headers, String rawBody) {
    }

    private final HttpServer server;
    private final String key;
    private final String secret;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger badSignatures = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean down;
    private volatile CountDownLatch hang = new CountDownLatch(0);

    private PusherWebhookReceiver(HttpServer server, String key, String secret) {
        this.server = server;
        this.key = key;
        this.secret = secret;
        server.createContext("/pusher/webhooks", this::receive);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-pusher-webhooks");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public static PusherWebhookReceiver start(String key, String secret) {
        try {
            return new PusherWebhookReceiver(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0),
                    key, secret);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/pusher/webhooks";
    }

    /** While down, every request is answered 503, as an app being deployed would. */
    public void down(boolean down) {
        this.down = down;
    }

    /** From now on requests get no answer until {@link #answer()}: a receiver that hangs. */
    public void hang() {
        hang = new CountDownLatch(1);
    }

    /** Answers the hanging requests and the ones after them. */
    public void answer() {
        hang.countDown();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Every event of every accepted request, in the order they came. */
    public List<JsonNode> events() {
        return List.copyOf(events);
    }

    public int badSignatures() {
        return badSignatures.get();
    }

    /** Requests answered 503 while down. */
    public int refused() {
        return refused.get();
    }

    /** The events that match, once there are {@code count} of them (more may have come). */
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

    /** Events about the channel, as {@code name} or {@code name:user_id}, in the order they came. */
    public List<String> of(String channel) {
        List<String> told = new ArrayList<>();
        for (JsonNode e : matching(e -> channel.equals(e.path("channel").asString(null)))) {
            told.add(e.path("name").asString() + (e.has("user_id") ? ":" + e.path("user_id").asString() : ""));
        }
        return told;
    }

    public static Predicate<JsonNode> named(String name, String channel) {
        return e -> name.equals(e.path("name").asString(null)) && channel.equals(e.path("channel").asString(null));
    }

    private void receive(HttpExchange exchange) throws IOException {
        byte[] body = BackendRequests.body(exchange);
        try {
            hang.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT), values.get(0)));
        if (!key.equals(headers.get("x-pusher-key"))
                || !BackendRequests.hexHmac(secret, body).equals(headers.get("x-pusher-signature"))
                || !"application/json".equals(headers.get("content-type"))) {
            badSignatures.incrementAndGet();
            BackendRequests.respond(exchange, 401, "{}");
            return;
        }
        if (down) {
            refused.incrementAndGet();
            BackendRequests.respond(exchange, 503, "{}");
            return;
        }
        String raw = new String(body, StandardCharsets.UTF_8);
        requests.add(new Request(headers, raw));
        JSON.readTree(body).path("events").forEach(events::add);
        BackendRequests.respond(exchange, 200, "{}");
    }

    @Override
    public void close() {
        answer();
        server.stop(0);
    }
}
