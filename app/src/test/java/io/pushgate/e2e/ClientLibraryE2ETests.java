package io.pushgate.e2e;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The JS client ({@code clients/pushgate.js}, served as {@code /pushgate.js}) in headless Chromium,
 * through real nginx: what a page that uses it sees when the connection drops, the server kicks it,
 * its token is refused, and when it joins and publishes. Each test drives the library with a script
 * and reads back what its listeners recorded in {@code window.T}.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientLibraryE2ETests {

    static final Duration WAIT = Duration.ofSeconds(20);

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

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    Nginx nginx;
    HttpClient https;
    WebDriver browser;

    @BeforeAll
    void start() throws Exception {
        Path certs = Nginx.generateCertificates(dir);
        TestCa ca = new TestCa(certs);
        https = ca.httpClient();
        nginx = Nginx.start(dir.resolve("proxy"), "pushgate.conf", port, certs);
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
    }

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
        eval(CONNECT + "return null", java.util.Map.of("transports", List.of(transport), "tokens", List.of(tokens)));
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
