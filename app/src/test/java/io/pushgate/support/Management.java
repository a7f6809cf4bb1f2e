package io.pushgate.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.springframework.context.ApplicationContext;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Plain HTTP GETs, without credentials, to a running node's Actuator on its management port (or to
 * any other port, to see that Actuator is not there).
 */
public final class Management {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = newClient();

    private static HttpClient newClient() {
        return HttpClient.newBuilder().connectTimeout(TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade offer, which left a reused connection waiting
                .build();
    }

    /** An answer: its status, {@code Content-Type} and body. */
    public record Answer(int status, String contentType, String body) {

        public JsonNode json() {
            return JSON.readTree(body);
        }

        /** {@code status} of a health answer. */
        public String health() {
            return json().path("status").asString();
        }
    }

    private final int port;

    public Management(int port) {
        this.port = port;
    }

    /** The management port of a running context: {@code local.management.port}, set once it listens. */
    public static Management of(ApplicationContext context) {
        String port = context.getEnvironment().getProperty("local.management.port");
        if (port == null) {
            throw new IllegalStateException("this context has no management server of its own");
        }
        return new Management(Integer.parseInt(port));
    }

    public int port() {
        return port;
    }

    public Answer get(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(TIMEOUT).GET().build();
        try {
            HttpResponse<String> response;
            try {
                response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (java.net.http.HttpTimeoutException e) {
                // once in a while the JDK client sends on a kept-alive connection the server has just let go
                // and waits out the timeout (seen on a loaded CI machine, the same request answered at once
                // before and after): a fresh client on a new connection asks once more; a server that does
                // not answer fails again
                response = newClient().send(request, HttpResponse.BodyHandlers.ofString());
            }
            return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
