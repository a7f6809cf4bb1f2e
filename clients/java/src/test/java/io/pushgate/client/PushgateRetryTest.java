package io.pushgate.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What is retried and what is not, against a stub that answers from a script: only GETs and publishes
 * with an idempotency key are tried again, on 503 and on connection failures.
 */
class PushgateRetryTest {

    static final String OK_PUBLISH = "{\"id\":\"m1\",\"sessions\":1,\"online\":[\"u\"],\"offline\":[]}";
    static final String DEGRADED = "{\"type\":\"urn:pushgate:problem:cluster-degraded\",\"title\":\"Service Unavailable\","
            + "\"status\":503,\"detail\":\"the broker cannot be reached\"}";

    record Answer(int status, String body) {
    }

    record Seen(String method, String path, String idempotencyKey, String body) {
    }

    HttpServer stub;
    final Queue<Answer> script = new ConcurrentLinkedQueue<>();
    final Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    Pushgate pushgate;

    @BeforeEach
    void start() throws IOException {
        stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/", this::answer);
        stub.start();
        pushgate = Pushgate.builder().url("http://127.0.0.1:" + stub.getAddress().getPort()).apiKey("k")
                .maxRetries(2).retryBackoff(Duration.ofMillis(1)).build();
    }

    @AfterEach
    void stop() {
        stub.stop(0);
    }

    void answer(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestHeaders().getFirst("Idempotency-Key"), body));
        Answer answer = script.poll();
        if (answer == null) {
            answer = new Answer(500, "{\"type\":\"urn:test:unscripted\",\"detail\":\"no answer scripted\"}");
        }
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", answer.status() < 300 ? "application/json" : "application/problem+json");
        exchange.sendResponseHeaders(answer.status(), bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Test
    void aGetIsRetriedOn503UntilItIsAnswered() {
        script.addAll(List.of(new Answer(503, DEGRADED), new Answer(503, DEGRADED),
                new Answer(200, "{\"uid\":\"u\",\"online\":true,\"sessions\":1,\"clientIds\":[\"c1\"]}")));

        assertThat(pushgate.isUidOnline("u")).isTrue();
        assertThat(seen).hasSize(3).allSatisfy(s -> assertThat(s.path()).isEqualTo("/api/v1/uids/u"));
    }

    @Test
    void retriesStopAtMaxRetriesWithTheLastProblem() {
        script.addAll(List.of(new Answer(503, DEGRADED), new Answer(503, DEGRADED), new Answer(503, DEGRADED)));

        assertThatThrownBy(() -> pushgate.getAllUidCount()).isInstanceOfSatisfying(PushgateException.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.slug()).isEqualTo("cluster-degraded");
            assertThat(e.detail()).isEqualTo("the broker cannot be reached");
        });
        assertThat(seen).hasSize(3);
    }

    @Test
    void aPublishWithoutAKeyIsNeverRetried() {
        script.add(new Answer(503, DEGRADED.replace("}", ",\"outcome\":\"unknown\"}")));

        assertThatThrownBy(() -> pushgate.sendToUid("u", "e", 1)).isInstanceOfSatisfying(PushgateException.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.outcomeUnknown()).isTrue();
        });
        assertThat(seen).hasSize(1);
        assertThat(seen.peek().idempotencyKey()).isNull();
    }

    @Test
    void aPublishWithAKeyIsRetriedWithTheSameKey() {
        script.addAll(List.of(new Answer(503, DEGRADED), new Answer(200, OK_PUBLISH)));

        PublishResult result = pushgate.publish(Message.toUids("u").event("e").data(Map.of("a", 1)).idempotencyKey("key-1"));

        assertThat(result.sessions()).isEqualTo(1);
        assertThat(seen).hasSize(2).allSatisfy(s -> {
            assertThat(s.method()).isEqualTo("POST");
            assertThat(s.path()).isEqualTo("/api/v1/messages");
            assertThat(s.idempotencyKey()).isEqualTo("key-1");
            assertThat(Json.read(s.body())).isEqualTo(Json.read("{\"to\":{\"uids\":[\"u\"]},\"event\":\"e\",\"data\":{\"a\":1}}"));
        });
    }

    @Test
    void aBatchIsRetriedOnlyWhenEveryItemHasAKey() {
        script.addAll(List.of(new Answer(503, DEGRADED), new Answer(200, "[" + OK_PUBLISH + "]")));
        assertThat(pushgate.publishBatch(List.of(Message.toGroups("g").idempotencyKey("b-1")))).hasSize(1);
        assertThat(seen).hasSize(2);
        assertThat(Json.read(seen.peek().body())).isEqualTo(Json.read("[{\"to\":{\"groups\":[\"g\"]},\"data\":null,\"idempotencyKey\":\"b-1\"}]"));
        assertThat(seen.peek().path()).isEqualTo("/api/v1/messages:batch");

        seen.clear();
        script.add(new Answer(503, DEGRADED));
        assertThatThrownBy(() -> pushgate.publishBatch(List.of(Message.toGroups("g").idempotencyKey("b-2"), Message.toAll())))
                .isInstanceOf(PushgateException.class);
        assertThat(seen).hasSize(1);
    }

    @Test
    void membershipAndCloseAreNotRetried() {
        script.add(new Answer(503, DEGRADED));
        assertThatThrownBy(() -> pushgate.joinGroup("c/1", "g 1")).isInstanceOf(PushgateException.class);
        assertThat(seen).hasSize(1);
        assertThat(seen.peek().method()).isEqualTo("PUT");
        assertThat(seen.peek().path()).as("names are escaped as one path segment").isEqualTo("/api/v1/groups/g%201/clients/c%2F1");
    }

    @Test
    void aServerThatCannotBeReachedIsConnectionFailed() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Pushgate unreachable = Pushgate.builder().url("http://127.0.0.1:" + closed).apiKey("k")
                .maxRetries(2).retryBackoff(Duration.ofMillis(1)).build();

        assertThatThrownBy(() -> unreachable.isUidOnline("u")).isInstanceOfSatisfying(PushgateException.class, e -> {
            assertThat(e.status()).isZero();
            assertThat(e.type()).isEqualTo(PushgateException.CONNECTION_FAILED);
            assertThat(e.getCause()).isInstanceOf(IOException.class);
        });
        assertThatThrownBy(() -> unreachable.sendToAll("e", 1))
                .as("a refused connection sent nothing: the publish was not delivered")
                .isInstanceOfSatisfying(PushgateException.class, e -> assertThat(e.outcomeUnknown()).isFalse());
    }

    @Test
    void anAnswerThatIsNotAProblemIsReportedAsItIs() {
        script.add(new Answer(502, "<html>Bad Gateway</html>"));
        assertThatThrownBy(() -> pushgate.sendToAll("e", 1)).isInstanceOfSatisfying(PushgateException.class, e -> {
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.detail()).contains("Bad Gateway");
        });
    }
}
