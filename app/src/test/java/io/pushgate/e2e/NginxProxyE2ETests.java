package io.pushgate.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Non-browser clients through real nginx running the shipped configurations: wss with the token in a
 * header and in the query, SSE that arrives unbuffered, long-poll, the backend API from loopback, the
 * http-to-https redirect, and the sub-path variant.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.sse.heartbeat=60s") // nothing but the published event flushes the SSE stream
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NginxProxyE2ETests {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    Nginx nginx;
    Nginx subpath;
    HttpClient https;

    @BeforeAll
    void startNginx() throws Exception {
        Path certs = Nginx.generateCertificates(dir);
        https = new TestCa(certs).httpClient();
        nginx = Nginx.start(dir.resolve("root"), "pushgate.conf", port, certs);
        subpath = Nginx.start(dir.resolve("subpath"), "pushgate-subpath.conf", port, certs);
        // The JDK's first TLS handshake is slow (class loading, key agreement set-up): take it here.
        https.send(HttpRequest.newBuilder(URI.create(nginx.https("/demo/"))).build(), HttpResponse.BodyHandlers.discarding());
    }

    @AfterAll
    void stopNginx() {
        if (nginx != null) {
            nginx.close();
        }
        if (subpath != null) {
            subpath.close();
        }
    }

    @Test
    void websocketOverWssWithTheTokenInTheAuthorizationHeader() {
        String uid = uniqueUid("wss-header");
        try (WsTestClient client = WsTestClient.connect(https, URI.create(nginx.wss("/ws")),
                Map.of("Authorization", "Bearer " + token(uid)), List.of())) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            String id = publish(nginx, uid, "over-wss").path("id").asString();
            JsonNode message = client.nextMessage();
            assertThat(message.path("id").asString()).isEqualTo(id);
            assertThat(message.path("data").path("text").asString()).isEqualTo("over-wss");
        }
    }

    @Test
    void websocketOverWssWithTheTokenInTheQuery() {
        String uid = uniqueUid("wss-query");
        try (WsTestClient client = WsTestClient.connect(https, URI.create(nginx.wss("/ws?token=" + token(uid))),
                Map.of(), List.of())) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            publish(nginx, uid, "query-token");
            assertThat(client.nextMessage().path("data").path("text").asString()).isEqualTo("query-token");
            client.send("{\"type\":\"ping\"}");
            assertThat(client.nextOfType("pong")).isNotNull();
        }
    }

    @Test
    void aBadTokenIsRefusedWith401ThroughNginx() {
        try {
            WsTestClient.connect(https, URI.create(nginx.wss("/ws?token=" + TestSecrets.signedWithOtherSecret("x"))),
                    Map.of(), List.of()).close();
            throw new AssertionError("the handshake was accepted");
        } catch (WsTestClient.HandshakeRefused refused) {
            assertThat(refused.status).isEqualTo(401);
        }
    }

    @Test
    void sseThroughNginxDeliversAnEventAsSoonAsItIsPublished() throws Exception {
        String uid = uniqueUid("sse-nginx");
        HttpRequest request = HttpRequest.newBuilder(URI.create(nginx.https("/sse")))
                .header("Authorization", "Bearer " + token(uid)).header("Accept", "text/event-stream").build();
        HttpResponse<Stream<String>> response = https.send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (Stream<String> body = response.body()) {
                body.forEach(lines::add);
            } catch (RuntimeException closed) {
                // the stream is closed at the end of the test
            }
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            nextLine(lines, "event: welcome", WAIT);

            String id = publish(nginx, uid, "unbuffered").path("id").asString();

            // One small event and nothing after it (no heartbeat for 60 s): a buffering proxy would sit on it.
            nextLine(lines, "id: " + id, Duration.ofSeconds(5));
            assertThat(lines.poll(5, TimeUnit.SECONDS)).isEqualTo("event: new_msg");
            String data = lines.poll(5, TimeUnit.SECONDS);
            assertThat(data).startsWith("data: ");
            assertThat(JSON.readTree(data.substring("data: ".length())).path("data").path("text").asString())
                    .isEqualTo("unbuffered");
        } finally {
            response.body().close();
        }
    }

    @Test
    void longPollThroughNginxIsAnsweredWhenAMessageArrives() throws Exception {
        String uid = uniqueUid("poll-nginx");
        JsonNode first = getJson(nginx.https("/poll"), token(uid));
        assertThat(first.path("messages").size()).isZero();
        String cursor = first.path("cursor").asString();

        var held = https.sendAsync(HttpRequest.newBuilder(URI.create(nginx.https("/poll?cursor=" + cursor)))
                .header("Authorization", "Bearer " + token(uid)).build(), HttpResponse.BodyHandlers.ofString());
        // The poll is held; the message wakes it (publishing first would also be answered at once).
        String id = publish(nginx, uid, "polled").path("id").asString();
        HttpResponse<String> answer = held.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode messages = JSON.readTree(answer.body()).path("messages");
        assertThat(messages.size()).isEqualTo(1);
        assertThat(messages.get(0).path("id").asString()).isEqualTo(id);
    }

    @Test
    void httpOn80RedirectsToHttps() throws Exception {
        HttpResponse<String> answer = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + nginx.httpPort + "/demo/?x=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(301);
        assertThat(answer.headers().firstValue("Location")).hasValue("https://localhost/demo/?x=1");
    }

    @Test
    void theDemoPageIsServedThroughNginx() throws Exception {
        HttpResponse<String> page = https.send(HttpRequest.newBuilder(URI.create(nginx.https("/demo/"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"demo.js\"></script>");
        HttpResponse<String> redirect = https.send(HttpRequest.newBuilder(URI.create(nginx.https("/demo?token=t"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(redirect.statusCode()).isEqualTo(302);
        assertThat(redirect.headers().firstValue("Location")).hasValue("demo/?token=t");
    }

    @Test
    void theSubPathVariantProxiesPushWsToTheNodesWs() {
        String uid = uniqueUid("subpath");
        try (WsTestClient client = WsTestClient.connect(https, URI.create(subpath.wss("/push/ws")),
                Map.of("Authorization", "Bearer " + token(uid)), List.of())) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            String id = publish(subpath, "/push/api/v1/messages", uid, "sub-path").path("id").asString();
            assertThat(client.nextMessage().path("id").asString()).isEqualTo(id);
        }
    }

    @Test
    void theSubPathVariantServesSseAndTheDemoPage() throws Exception {
        HttpResponse<String> page = https.send(HttpRequest.newBuilder(URI.create(subpath.https("/push/demo/"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("pushgate demo");
        JsonNode poll = getJson(subpath.https("/push/poll"), token(uniqueUid("subpath-poll")));
        assertThat(poll.path("cursor").asString()).contains("~");
    }

    private JsonNode publish(Nginx proxy, String uid, String text) {
        return publish(proxy, "/api/v1/messages", uid, text);
    }

    /** Publishes through nginx's /api/ location, which allows loopback. */
    private JsonNode publish(Nginx proxy, String path, String uid, String text) {
        try {
            HttpResponse<String> answer = https.send(HttpRequest.newBuilder(URI.create(proxy.https(path)))
                    .header("Authorization", "Bearer " + TestSecrets.API_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"to":{"uids":["%s"]},"event":"new_msg","data":{"text":"%s"}}""".formatted(uid, text)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            return JSON.readTree(answer.body());
        } catch (Exception e) {
            throw new AssertionError("publish failed", e);
        }
    }

    private JsonNode getJson(String url, String clientToken) throws Exception {
        HttpResponse<String> answer = https.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + clientToken).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private static void nextLine(BlockingQueue<String> lines, String wanted, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        StringBuilder seen = new StringBuilder();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("no line '" + wanted + "' within " + within + "; got: " + seen);
            }
            if (line.equals(wanted)) {
                return;
            }
            seen.append(line).append("\\n");
        }
    }
}
