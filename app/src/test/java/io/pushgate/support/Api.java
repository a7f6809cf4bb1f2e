package io.pushgate.support;

import java.time.Duration;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Real HTTP calls to the backend API of a running test server. */
public final class Api {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final WebTestClient client;
    private final int port;

    public Api(int port) {
        this.port = port;
        this.client = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(10))
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
        byte[] body = client.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(json)
                .exchange().expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody();
        return JSON.readTree(body == null ? new byte[0] : body);
    }

    public JsonNode publish(String json) {
        return post("/api/v1/messages", json, 200);
    }

    public JsonNode get(String path, int status) {
        byte[] body = client.get().uri(path).exchange().expectStatus().isEqualTo(status)
                .expectBody().returnResult().getResponseBody();
        return JSON.readTree(body == null ? new byte[0] : body);
    }

    public JsonNode get(String path) {
        return get(path, 200);
    }

    public JsonNode put(String path, int status) {
        byte[] body = client.put().uri(path).exchange().expectStatus().isEqualTo(status)
                .expectBody().returnResult().getResponseBody();
        return JSON.readTree(body == null ? new byte[0] : body);
    }

    public JsonNode delete(String path, int status) {
        byte[] body = client.delete().uri(path).exchange().expectStatus().isEqualTo(status)
                .expectBody().returnResult().getResponseBody();
        return JSON.readTree(body == null ? new byte[0] : body);
    }
}
