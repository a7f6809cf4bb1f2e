package io.pushgate.support;

import java.time.Duration;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;

import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Real HTTP calls to the backend API of a running test server. */
public final class Api {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /**
     * The API client's own event loops, shared by every {@code Api}: by default Reactor Netty's client
     * runs on the same global loops as the servers of the test contexts, so work on a server's loop
     * could hold up a test's request to another server. No connection pool: a connection kept from an
     * earlier test to a port that a later test's server now uses must never carry a request.
     */
    private static final LoopResources LOOPS = LoopResources.create("test-api", 2, true);
    private static final ReactorClientHttpConnector CONNECTOR = new ReactorClientHttpConnector(
            HttpClient.create(ConnectionProvider.newConnection()).runOn(LOOPS));

    static {
        io.pushgate.transport.netty.EventLoopTicks.ensureAll(LOOPS.onClient(true)); // as the server's loops, see there
    }

    private final WebTestClient client;
    private final int port;

    public Api(int port) {
        this.port = port;
        this.client = WebTestClient.bindToServer(CONNECTOR)
                .baseUrl("http://localhost:" + port)
                .responseTimeout(TIMEOUT)
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY)
                .build();
    }

    public WebTestClient client() {
        return client;
    }

    public int port() {
        return port;
    }

    public java.net.URI ws(String query) {
        return java.net.URI.create("ws://localhost:" + port + "/ws" + (query.isEmpty() ? "" : "?" + query));
    }

    /** POSTs JSON and returns the parsed answer, asserting the status. */
    public JsonNode post(String path, String json, int status) {
        return answered("POST " + path, () -> client.post().uri(path).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json).exchange().expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody());
    }

    /**
     * Runs one exchange and parses its body. An exchange not answered within the response timeout fails
     * with the server's threads printed, which is what tells a stall on a lock from a lost request.
     */
    private static JsonNode answered(String what, java.util.function.Supplier<byte[]> exchange) {
        byte[] body;
        try {
            body = exchange.get();
        } catch (IllegalStateException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("Timeout on blocking read")) {
                throw e;
            }
            throw new AssertionError("no answer to " + what + " within " + TIMEOUT.toSeconds() + " s; "
                    + ThreadDump.print("no answer to " + what), e);
        }
        return JSON.readTree(body == null ? new byte[0] : body);
    }

    public JsonNode publish(String json) {
        return post("/api/v1/messages", json, 200);
    }

    public JsonNode get(String path, int status) {
        return answered("GET " + path, () -> client.get().uri(path).exchange().expectStatus().isEqualTo(status)
                .expectBody().returnResult().getResponseBody());
    }

    public JsonNode get(String path) {
        return get(path, 200);
    }

    public JsonNode put(String path, int status) {
        return answered("PUT " + path, () -> client.put().uri(path).exchange().expectStatus().isEqualTo(status)
                .expectBody().returnResult().getResponseBody());
    }

    /** Sends JSON with any method (PUT, PATCH, …) and returns the parsed answer, asserting the status. */
    public JsonNode send(org.springframework.http.HttpMethod method, String path, String json, int status) {
        return answered(method + " " + path, () -> client.method(method).uri(path).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json).exchange().expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody());
    }

    /** A GET's 200 body as the server wrote it, byte for byte (a parsed tree would normalise numbers). */
    public String raw(String path) {
        byte[] body = client.get().uri(path).exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody();
        return new String(body == null ? new byte[0] : body, java.nio.charset.StandardCharsets.UTF_8);
    }

    public JsonNode delete(String path, int status) {
        return answered("DELETE " + path, () -> client.delete().uri(path).exchange().expectStatus().isEqualTo(status)
                .expectBody().returnResult().getResponseBody());
    }
}
