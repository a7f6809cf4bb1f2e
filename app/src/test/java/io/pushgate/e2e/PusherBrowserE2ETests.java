package io.pushgate.e2e;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.pushgate.support.NodePusherClient;
import io.pushgate.support.PushgateIntegrationTest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Laravel Echo in a real page: headless Chromium loads an app's page over https through the shipped
 * {@code nginx/pushgate.conf} on 443-style TLS, the page loads the stock browser builds of pusher-js 8.6 and
 * laravel-echo 2.5 ({@link EchoApp}, from {@code node_modules}) and creates Echo as the Laravel docs show, and
 * Echo talks to pushgate over wss through nginx's {@code /app/}. The app sits behind the same nginx (its
 * catch-all location, which the shipped file answers 404, goes to the app; pushgate's locations are as
 * shipped), so its auth endpoint is the page's origin, as Laravel's {@code /broadcasting/auth} is.
 *
 * <p>The backend side is the stock {@code pusher} SDK in Node.js over https through nginx's {@code /apps/}
 * (Laravel's {@code pusher} broadcaster makes the same signed requests); the second presence member is the
 * stock pusher-js in Node.js over wss through nginx, authorised by that SDK. The test calls the page's
 * {@code window.Echo} in the page, as the app's own scripts would ({@code Echo.channel(…).listen(…)},
 * {@code Echo.private(…)}, {@code Echo.join(…).here/joining/leaving}); the callbacks record what they get in
 * {@code window.seen}, which the test reads, waiting by polling the page, never by sleeping.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=77",
        "pushgate.compat.pusher.key=nginx-key", "pushgate.compat.pusher.secret=nginx-secret-0123456789"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PusherBrowserE2ETests {

    static final String KEY = "nginx-key";
    static final String SECRET = "nginx-secret-0123456789";
    static final Duration WAIT = Duration.ofSeconds(20);
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** The shipped file's catch-all, which answers 404: here it goes to the app. */
    static final String CATCH_ALL = """
                    location / {
                        return 404;
                    }
            """;

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    EchoApp app;
    Nginx nginx;
    WebDriver browser;
    NodePusherClient backend;

    @BeforeAll
    void start() throws Exception {
        Path certs = Nginx.generateCertificates(dir);
        app = EchoApp.start(KEY, SECRET);
        nginx = Nginx.start(dir.resolve("proxy"), "pushgate.conf", port, certs, Map.of(CATCH_ALL, """
                        location / {
                            proxy_pass http://127.0.0.1:%d;
                        }
                """.formatted(app.port())));
        URI https = URI.create(nginx.https("/"));
        app.pusherHost(https.getHost(), https.getPort());
        browser = Chromium.start(dir, new TestCa(certs).serverSpkiSha256());
        backend = NodePusherClient.start("{\"host\":\"" + https.getHost() + "\",\"port\":" + https.getPort()
                + ",\"tls\":true,\"appId\":\"77\",\"key\":\"" + KEY + "\",\"secret\":\"" + SECRET + "\"}",
                Map.of("NODE_EXTRA_CA_CERTS", certs.resolve("ca.crt").toString()));
        backend.socketId(); // its pusher-js is connected over wss through nginx
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
        if (backend != null) {
            backend.close();
        }
        if (nginx != null) {
            nginx.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void echoInThePageHearsWhatTheBackendTriggersOnAPublicChannel() {
        String orders = uniqueUid("orders");
        String socketId = openPage("7", "Ann");
        assertThat(socketId).matches("[0-9]+\\.[0-9]+"); // Pusher's form, which Laravel's broadcaster checks
        assertThat(String.valueOf(eval("return performance.getEntriesByType('resource').map((r) => r.name).join(' ')")))
                .as("the page's scripts came from its own origin (the app behind nginx), none from a CDN")
                .contains(nginx.https("/vendor/pusher-js/pusher.js"), nginx.https("/vendor/laravel-echo/echo.js"))
                .doesNotContainPattern("https?://(?!localhost:" + nginx.httpsPort + "/)");

        eval("""
                const orders = arguments[0];
                Echo.channel(orders)
                    .subscribed(() => seen.subscribed.push(orders))
                    .listen('.OrderShipped', (e) => seen.events.push({channel: orders, event: e}));
                return null""", orders);
        awaitEval("return seen.subscribed.join()", orders);

        trigger(orders, "OrderShipped", "{\"order\":{\"id\":42,\"total\":\"1.50\"}}");

        awaitEval("return JSON.stringify(seen.events)",
                "[{\"channel\":\"" + orders + "\",\"event\":{\"order\":{\"id\":42,\"total\":\"1.50\"}}}]");
    }

    @Test
    void aPrivateChannelIsAuthorisedByTheAppsEndpointAndABadSignatureIsRefused() {
        String user = uniqueUid("u");
        String socketId = openPage(user, "Ann");

        eval("""
                const userId = arguments[0];
                Echo.private(`orders.${userId}`)
                    .subscribed(() => seen.subscribed.push('orders'))
                    .error((e) => seen.errors.push({channel: 'orders', type: e.type, status: e.status}))
                    .listen('.OrderShipped', (e) => seen.events.push({channel: 'orders', event: e}));
                Echo.private(`audit.${userId}`)
                    .subscribed(() => seen.subscribed.push('audit'))
                    .error((e) => seen.errors.push({channel: 'audit', type: e.type, status: e.status}));
                return null""", user);

        // the app signed with a secret pushgate does not have: refused, and Echo's error callback hears why
        awaitEval("return JSON.stringify(seen.errors)", "[{\"channel\":\"audit\",\"type\":\"AuthError\",\"status\":401}]");
        awaitEval("return seen.subscribed.join()", "orders");
        assertThat(app.authorisations()).as("the page's Echo asked the app's endpoint, with its own socket id")
                .contains(new EchoApp.Authorisation(user, socketId, "private-orders." + user, 200),
                        new EchoApp.Authorisation(user, socketId, "private-audit." + user, 200));

        trigger("private-orders." + user, "OrderShipped", "{\"order\":{\"id\":7}}");

        // the refusal left the connection open: the event still arrives, once, on the authorised channel
        awaitEval("return JSON.stringify(seen.events)", "[{\"channel\":\"orders\",\"event\":{\"order\":{\"id\":7}}}]");
        assertThat(eval("return Echo.socketId()")).isEqualTo(socketId);
    }

    @Test
    void aPresenceChannelShowsWhoIsHereWhoJoinsAndWhoLeaves() {
        String room = uniqueUid("room");
        String channel = "presence-chat." + room;
        String ann = uniqueUid("ann");
        String bob = uniqueUid("bob");
        openPage(ann, "Ann");

        eval("""
                const room = arguments[0];
                Echo.join(`chat.${room}`)
                    .here((users) => seen.here.push(users))
                    .joining((user) => seen.joining.push(user))
                    .leaving((user) => seen.leaving.push(user))
                    .error((e) => seen.errors.push({type: e.type, status: e.status}));
                return null""", room);
        awaitEval("return JSON.stringify(seen.here)", "[[{\"id\":\"" + ann + "\",\"name\":\"Ann\"}]]");

        // a second member: pusher-js in Node.js, its channel_data signed by the pusher SDK
        backend.send("{\"subscribe\":\"" + channel + "\",\"user\":{\"user_id\":\"" + bob + "\",\"user_info\":{\"id\":\"" + bob
                + "\",\"name\":\"Bob\"}}}");
        JsonNode subscribed = backend.await(line -> channel.equals(line.path("subscribed").asString(null)), "Bob subscribed");
        assertThat(subscribed.path("members").toString()).as("Bob sees Ann, the page's user")
                .contains("{\"id\":\"" + ann + "\",\"info\":{\"id\":\"" + ann + "\",\"name\":\"Ann\"}}");
        awaitEval("return JSON.stringify(seen.joining)", "[{\"id\":\"" + bob + "\",\"name\":\"Bob\"}]");

        // the backend lists both users through the HTTP API
        JsonNode users = backend.call("{\"get\":\"/channels/" + channel + "/users\"}");
        assertThat(users.path("status").asInt()).isEqualTo(200);
        assertThat(users.path("body").path("users").toString()).contains("{\"id\":\"" + ann + "\"}", "{\"id\":\"" + bob + "\"}");

        backend.send("{\"unsubscribe\":\"" + channel + "\"}");

        awaitEval("return JSON.stringify(seen.leaving)", "[{\"id\":\"" + bob + "\",\"name\":\"Bob\"}]");
        assertThat(eval("return JSON.stringify(seen.joining) + JSON.stringify(seen.errors)"))
                .as("nobody else came, nothing failed").isEqualTo("[{\"id\":\"" + bob + "\",\"name\":\"Bob\"}][]");
    }

    /**
     * Opens the app's page as the user, waits for its Echo to connect, and sets up {@code window.seen} for the
     * callbacks. @return the connection's socket id
     */
    private String openPage(String user, String name) {
        browser.get(nginx.https("/orders?user=" + user + "&name=" + name));
        assertThat(browser.getCurrentUrl()).startsWith("https://"); // so Echo can only use wss
        awaitEval("return window.Echo ? Echo.connectionStatus() : 'no Echo yet'", "connected");
        eval("window.seen = {subscribed: [], events: [], errors: [], here: [], joining: [], leaving: []}; return null");
        return String.valueOf(eval("return Echo.socketId()"));
    }

    /** The backend's trigger: the pusher SDK's signed POST /apps/77/events over https through nginx. */
    private void trigger(String channel, String event, String data) {
        JsonNode answer = backend.call("{\"trigger\":{\"channels\":[\"" + channel + "\"],\"event\":\"" + event + "\",\"data\":"
                + JSON.writeValueAsString(data) + "}}");
        assertThat(answer.path("status").asInt()).as("%s", answer).isEqualTo(200);
    }

    private Object eval(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private void awaitEval(String script, String expected) {
        new WebDriverWait(browser, WAIT)
                .withMessage(() -> script + " never gave " + expected + "; it gives " + eval(script))
                .until(d -> expected.equals(String.valueOf(eval(script))));
    }
}
