package io.pushgate.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;


import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A backend's connect URL for tests, a real HTTP server (the JDK's) on a free loopback port: it checks the
 * {@code X-Pushgate-Signature} of every request with {@link #SECRET}, computed apart from pushgate's code
 * ({@link BackendRequests}; a request that fails it is answered
 * 400 and counted in {@link #badSignatures()}), keeps every request body, and answers by a rule of the test.
 * An answer may wait for {@link #open()} (a gate), for tests that need a connect to be in flight.
 */
public final class ConnectBackend implements AutoCloseable {

    /** {@code pushgate.events.secret} of the server under test. */
    public static final String SECRET = "test-events-secret-0123456789";

    /** What the backend answers: a status and a body (JSON, or anything); {@code gated} waits for {@link #open()}. */
    public record Answer(int status, String body, boolean gated) {
        public static Answer of(int status, String body) {
            return new Answer(status, body, false);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "connect-backend");
        t.setDaemon(true);
        return t;
    });
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger badSignatures = new AtomicInteger();
    private final Function<JsonNode, Answer> rule;
    private volatile CountDownLatch gate = new CountDownLatch(1);

    /** @param rule the answer to a request, given its JSON body */
    public ConnectBackend(Function<JsonNode, Answer> rule) {
        this.rule = rule;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(threads);
        server.createContext("/connect", this::handle);
        server.start();
    }

    /** The connect URL to configure ({@code pushgate.auth.connect-url}). */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/connect";
    }

    /** Every request body received so far, signature checked or not, in order. */
    public List<JsonNode> requests() {
        return List.copyOf(requests);
    }

    /** The requests that carried this token. */
    public List<JsonNode> requestsWithToken(String token) {
        return requests.stream().filter(r -> token.equals(r.path("token").asString(null))).toList();
    }

    /** Requests whose signature did not verify. */
    public int badSignatures() {
        return badSignatures.get();
    }

    /** Lets every gated answer go, and gates the next ones again. */
    public void open() {
        CountDownLatch open = gate;
        gate = new CountDownLatch(1);
        open.countDown();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = BackendRequests.body(exchange);
            JsonNode json = JSON.readTree(body);
            requests.add(json);
            if (!"POST".equals(exchange.getRequestMethod())
                    || !BackendRequests.signed(SECRET, exchange.getRequestHeaders().getFirst("X-Pushgate-Signature"), body)) {
                badSignatures.incrementAndGet();
                answer(exchange, Answer.of(400, "{\"error\":\"bad signature\"}"));
                return;
            }
            Answer answer = rule.apply(json);
            if (answer.gated()) {
                CountDownLatch waiting = gate;
                try {
                    waiting.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            answer(exchange, answer);
        } catch (IOException e) {
            // the proxy gave up (its timeout) and closed the connection: nothing to answer
        }
    }

    private static void answer(HttpExchange exchange, Answer answer) throws IOException {
        BackendRequests.respond(exchange, answer.status(), answer.body());
    }

    @Override
    public void close() {
        open();
        server.stop(0);
        threads.shutdownNow();
    }
}
