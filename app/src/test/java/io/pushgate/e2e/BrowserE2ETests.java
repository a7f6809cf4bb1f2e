package io.pushgate.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo page in headless Chromium, loaded over https through real nginx running the shipped
 * {@code nginx/pushgate.conf}: WebSocket (wss), and the SSE and long-poll fallbacks, each showing a
 * message published through the API; and the page's publish form.
 *
 * <p>Chromium trusts the test certificate through {@code --ignore-certificate-errors-spki-list} with the
 * SHA-256 of the server certificate's public key (computed here from the file {@code certs/generate.sh}
 * wrote). That needs no NSS tools and no change to any trust store, and it only accepts this one key:
 * any other certificate error still fails the page. The flag is honoured because the browser runs with
 * its own {@code --user-data-dir}.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserE2ETests {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    Nginx nginx;
    Nginx subpath;
    HttpClient https;
    WebDriver browser;

    @BeforeAll
    void start() throws Exception {
        Path certs = Nginx.generateCertificates(dir);
        TestCa ca = new TestCa(certs);
        https = ca.httpClient();
        nginx = Nginx.start(dir.resolve("proxy"), "pushgate.conf", port, certs);
        subpath = Nginx.start(dir.resolve("subpath"), "pushgate-subpath.conf", port, certs);

        browser = Chromium.start(dir, ca.serverSpkiSha256());
    }

    @AfterEach
    void leavePage() {
        if (browser != null) {
            browser.get("about:blank"); // closes the page's connection
        }
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (nginx != null) {
            nginx.close();
        }
        if (subpath != null) {
            subpath.close();
        }
    }

    @Test
    void thePageConnectsOverWssAndShowsAPublishedMessage() {
        String uid = uniqueUid("browser-ws");
        open("/demo/?token=" + token(uid));
        assertThat(browser.getCurrentUrl()).startsWith("https://");
        awaitOpen("ws"); // an https page can only open wss://

        String id = publish(uid, "new_msg", "over wss").path("id").asString();

        WebElement item = awaitMessage(id);
        assertThat(item.getDomAttribute("data-event")).isEqualTo("new_msg");
        assertThat(item.getDomAttribute("data-transport")).isEqualTo("ws");
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"over wss\"}");
        assertThat(browser.findElement(By.id("cursor")).getText()).isEqualTo(id);
    }

    @Test
    void withWebSocketDisabledThePageFallsBackToSse() {
        String uid = uniqueUid("browser-sse");
        open("/demo/?disable=ws&token=" + token(uid));
        awaitOpen("sse");

        String id = publish(uid, "new_msg", "over sse").path("id").asString();

        WebElement item = awaitMessage(id);
        assertThat(item.getDomAttribute("data-transport")).isEqualTo("sse");
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"over sse\"}");
    }

    @Test
    void withWebSocketAndSseDisabledThePageFallsBackToLongPolling() {
        String uid = uniqueUid("browser-poll");
        open("/demo/?disable=ws,sse&token=" + token(uid));
        awaitOpen("poll");

        String id = publish(uid, "new_msg", "over long-poll").path("id").asString();

        WebElement item = awaitMessage(id);
        assertThat(item.getDomAttribute("data-transport")).isEqualTo("poll");
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"over long-poll\"}");
    }

    @Test
    void thePublishFormPostsToClientPublishAndTheGroupReceivesIt() {
        String uid = uniqueUid("browser-form");
        String group = uniqueUid("room");
        open("/demo?token=" + token(uid, List.of(group), List.of(group))); // via the /demo redirect
        awaitOpen("ws");

        browser.findElement(By.id("publish-group")).clear();
        browser.findElement(By.id("publish-group")).sendKeys(group);
        browser.findElement(By.id("publish-event")).clear();
        browser.findElement(By.id("publish-event")).sendKeys("chat");
        browser.findElement(By.id("publish-data")).clear();
        browser.findElement(By.id("publish-data")).sendKeys("{\"text\":\"from the form\"}");
        browser.findElement(By.id("publish")).click();

        new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                "true".equals(d.findElement(By.id("publish-result")).getDomAttribute("data-ok")));
        WebElement item = new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                d.findElements(By.cssSelector("li.message[data-event='chat']")).stream().findFirst().orElse(null));
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"from the form\"}");
    }

    @Test
    void underTheSubPathThePageUsesThePushUrls() {
        String uid = uniqueUid("browser-subpath");
        browser.get(subpath.https("/push/demo?token=" + token(uid))); // nginx redirects to /push/demo/
        assertThat(browser.getCurrentUrl()).contains("/push/demo/?token=");
        awaitOpen("ws"); // wss://…/push/ws

        String id = publish(subpath, "/push/api/v1/messages", uid, "new_msg", "under /push").path("id").asString();

        assertThat(awaitMessage(id).getDomAttribute("data-transport")).isEqualTo("ws");
    }

    private void open(String pathAndQuery) {
        browser.get(nginx.https(pathAndQuery));
    }

    private void awaitOpen(String transport) {
        new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                "open".equals(d.findElement(By.id("state")).getDomAttribute("data-state")));
        assertThat(browser.findElement(By.id("transport")).getDomAttribute("data-transport")).isEqualTo(transport);
    }

    private WebElement awaitMessage(String id) {
        return new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                d.findElements(By.cssSelector("li.message[data-id='" + id + "']")).stream().findFirst().orElse(null));
    }

    private String pageState() {
        return "page " + browser.getCurrentUrl() + ": state '" + browser.findElement(By.id("state")).getText()
                + "', transport '" + browser.findElement(By.id("transport")).getText() + "', list: "
                + browser.findElement(By.id("messages")).getText();
    }

    /** Publishes through nginx's /api/ location (allowed from loopback), as a backend would. */
    private JsonNode publish(String uid, String event, String text) {
        return publish(nginx, "/api/v1/messages", uid, event, text);
    }

    private JsonNode publish(Nginx proxy, String path, String uid, String event, String text) {
        try {
            HttpResponse<String> answer = https.send(HttpRequest.newBuilder(URI.create(proxy.https(path)))
                    .header("Authorization", "Bearer " + TestSecrets.API_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"to":{"uids":["%s"]},"event":"%s","data":{"text":"%s"}}""".formatted(uid, event, text)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode result = JSON.readTree(answer.body());
            assertThat(result.path("sessions").asInt()).as("sessions reached").isEqualTo(1);
            return result;
        } catch (Exception e) {
            throw new AssertionError("publish failed", e);
        }
    }

    /**
     * The JS client ({@code clients/pushgate.js}, served as {@code /pushgate.js}) on its own, driven by
     * scripts in a page of the push server's origin: what a page that uses it sees when the connection
     * drops, the server kicks it, its token is refused, and when it joins and publishes. Its listeners
     * record what it reports in {@code window.T}.
     */
    @Nested
    class ClientLibrary {

        /** Creates the client as a page would, recording what it reports. */
        static final String CONNECT = """
                window.T = {got: [], events: [], tokenCalls: 0};
                var options = arguments[0];
                var tokens = options.tokens;
                options.token = tokens.length === 1 ? tokens[0] : function () { return tokens[Math.min(T.tokenCalls++, tokens.length - 1)]; };
                options.url = location.origin;
                options.minReconnectDelay = 100;
                window.c = Pushgate.connect(options);
                c.on('new_msg', function (d) { T.got.push(d.n); });
                c.on('chat', function (d) { T.got.push(d.n); });
                c.on('open', function (w, transport) { T.events.push('open ' + transport); });
                c.on('close', function (i) { T.events.push('close ' + i.code + ' ' + i.reconnecting); });
                """;

        @ParameterizedTest
        @ValueSource(strings = {"ws", "sse", "poll"})
        void afterADropItResumesWithWhatWasMissedAndNothingTwice(String transport) {
            String uid = uniqueUid("lib-resume-" + transport);
            connect(transport, token(uid));
            awaitEval("return c.state", "open");
            assertThat(eval("return c.transport")).isEqualTo(transport);

            publish(uid, "new_msg", 1);
            awaitEval("return JSON.stringify(T.got)", "[1]");

            eval("c.close(); return null");
            publish(uid, "new_msg", 2); // published while the page has no connection
            eval("c.open(); return null");
            awaitEval("return JSON.stringify(T.got)", "[1,2]");

            publish(uid, "new_msg", 3);
            awaitEval("return JSON.stringify(T.got)", "[1,2,3]");
            assertThat(eval("return T.events.join()")).isEqualTo("open " + transport + ",open " + transport);
        }

        @Test
        void aKickedPageDoesNotReconnect() {
            String uid = uniqueUid("lib-kick");
            connect("ws", token(uid));
            awaitEval("return c.state", "open");

            api("DELETE", "/api/v1/uids/" + uid + "/sessions", null);

            awaitEval("return c.state", "closed");
            assertThat(eval("return T.events.join()")).isEqualTo("open ws,close 4403 false");
        }

        @Test
        void aRefusedTokenIsReplacedByTheTokenFunction() {
            String uid = uniqueUid("lib-token");
            String expired = TestSecrets.token(uid, Duration.ofMinutes(-5), List.of(), List.of());
            connect("ws", expired, token(uid));

            awaitEval("return c.state", "open");
            assertThat(eval("return String(T.tokenCalls)")).isEqualTo("2");
            assertThat(eval("return T.events.join()")).isEqualTo("close 1006 true,open ws");
        }

        @Test
        void aRefusedFixedTokenEndsWithoutALoop() {
            String uid = uniqueUid("lib-fixed");
            connect("poll", TestSecrets.token(uid, Duration.ofMinutes(-5), List.of(), List.of()));

            awaitEval("return c.state", "closed");
            assertThat(eval("return T.events.join()")).isEqualTo("close 4401 false");
        }

        @ParameterizedTest
        @ValueSource(strings = {"ws", "sse"})
        void joinAndPublishAnswerAsPromises(String transport) {
            String uid = uniqueUid("lib-rooms-" + transport);
            String group = uniqueUid("room");
            connect(transport, token(uid, List.of(group), List.of(group)));
            awaitEval("return c.state", "open");

            eval("""
                    c.join(arguments[0]).then(function () { T.joined = 'yes'; }, function (e) { T.joined = e.code; });
                    c.join('not-in-the-token').then(function () { T.refused = 'no'; }, function (e) { T.refused = e.code; });
                    c.publish(arguments[0], 'chat', {n: 7}).then(function (r) { T.published = r.id ? 'yes' : 'no id'; },
                        function (e) { T.published = e.code; });
                    return null""", group);

            awaitEval("return T.joined || ''", "yes");
            awaitEval("return T.refused || ''", "forbidden");
            awaitEval("return T.published || ''", "yes");
            awaitEval("return JSON.stringify(T.got)", "[7]"); // the page is in the group, so it gets its own message
        }

        private void connect(String transport, String... tokens) {
            browser.get(nginx.https("/demo/")); // a page of the push server's origin that loads /pushgate.js
            eval(CONNECT + "return null", Map.of("transports", List.of(transport), "tokens", List.of(tokens)));
        }

        private Object eval(String script, Object... args) {
            return ((JavascriptExecutor) browser).executeScript(script, args);
        }

        private void awaitEval(String script, String expected) {
            new WebDriverWait(browser, WAIT)
                    .withMessage(() -> script + " never gave " + expected + "; it gives " + eval(script)
                            + ", events " + eval("return T.events.join()"))
                    .until(d -> expected.equals(String.valueOf(eval(script))));
        }

        private void publish(String uid, String event, int n) {
            api("POST", "/api/v1/messages", """
                    {"to":{"uids":["%s"]},"event":"%s","data":{"n":%d}}""".formatted(uid, event, n));
        }

        /** Calls the backend API through nginx's /api/ location (allowed from loopback), as a backend would. */
        private void api(String method, String path, String json) {
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(nginx.https(path)))
                        .header("Authorization", "Bearer " + TestSecrets.API_KEY);
                if (json != null) {
                    request.header("Content-Type", "application/json");
                }
                HttpResponse<String> answer = https.send(request.method(method,
                        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            } catch (Exception e) {
                throw new AssertionError(method + " " + path + " failed", e);
            }
        }
    }
}
