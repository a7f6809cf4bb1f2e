package io.pushgate.e2e;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Laravel part of {@code docs/migrating-from-pusher-and-laravel.md}, tried as written: the test reads the
 * guide and uses its blocks themselves, so a guide that drifts from what works fails here.
 * <ul>
 * <li>pushgate runs with the guide's {@code properties} block, its secret given the way the guide says (the
 * environment variable it names, bound as Spring binds the environment).</li>
 * <li>The backend is the stock {@code pusher} SDK configured as Laravel's {@code config/broadcasting.php}
 * configures its {@code pusher} connection from the guide's {@code .env}, with only what a reader changes put in:
 * the host and port (nginx's here), and the secret (which the guide leaves as a placeholder).</li>
 * <li>The page runs the guide's {@code resources/js/echo.js} verbatim but for {@code import.meta.env.VITE_…},
 * which is replaced by the value Vite would put there from the same {@code .env}; it is served over https by an
 * app behind the shipped {@code nginx/pushgate.conf} ({@link EchoApp}, as {@link PusherBrowserE2ETests}), in
 * headless Chromium.</li>
 * </ul>
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PusherGuideE2ETests {

    static final Path GUIDE = Path.of("../docs/migrating-from-pusher-and-laravel.md");
    /** The secret the reader picks: the guide's .env has a placeholder and its properties leave it to the environment. */
    static final String SECRET = "guide-secret-" + uniqueUid("s");
    static final Duration WAIT = Duration.ofSeconds(20);
    static final JsonMapper JSON = JsonMapper.builder().build();
    /**
     * What Laravel 11 and 12 read of a {@code .env} for the {@code pusher} broadcaster: {@code default} and
     * {@code connections.pusher} of {@code config/broadcasting.php} in laravel/framework (mirrored by
     * {@link #laravelPusherConnection}).
     */
    static final Set<String> LARAVEL_READS = Set.of("BROADCAST_CONNECTION", "PUSHER_APP_KEY", "PUSHER_APP_SECRET",
            "PUSHER_APP_ID", "PUSHER_APP_CLUSTER", "PUSHER_HOST", "PUSHER_PORT", "PUSHER_SCHEME");
    static final Pattern VITE_ENV = Pattern.compile("import\\.meta\\.env\\.([A-Za-z0-9_]+)");

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    Map<String, String> dotenv;
    EchoApp app;
    Nginx nginx;
    WebDriver browser;
    NodePusherClient backend;
    String host;
    int httpsPort;

    /** The guide's properties block is the server's configuration; the secret comes as the guide says it does. */
    @DynamicPropertySource
    static void guideProperties(DynamicPropertyRegistry registry) {
        String block = block(guide(), "properties", 0);
        Matcher secretVariable = Pattern.compile("#.*\\b([A-Z][A-Z0-9_]*)=").matcher(block);
        if (!secretVariable.find()) {
            throw new IllegalStateException("the guide's properties block no longer says where the secret goes:\n" + block);
        }
        // the environment variable the guide names, looked up as Spring Boot looks up the environment's variables
        Object secret = new SystemEnvironmentPropertySource("environment", Map.of(secretVariable.group(1), SECRET))
                .getProperty("pushgate.compat.pusher.secret");
        if (!SECRET.equals(secret)) {
            throw new IllegalStateException(secretVariable.group(1) + ", which the guide names, is not pushgate.compat.pusher.secret");
        }
        registry.add("pushgate.compat.pusher.secret", () -> secret);
        properties(block).forEach((name, value) -> registry.add(name, () -> value));
    }

    @BeforeAll
    void start() throws Exception {
        String guide = guide();
        Map<String, String> properties = properties(block(guide, "properties", 0));
        assertThat(properties).as("the guide's properties block").containsEntry("pushgate.compat.pusher.enabled", "true");

        dotenv = dotenv(block(guide, "dotenv", guide.indexOf("## Laravel")));
        assertThat(dotenv.get("BROADCAST_CONNECTION")).as("the connection Laravel broadcasts with").isEqualTo("pusher");
        assertThat(dotenv.keySet().stream().filter(name -> !name.startsWith("VITE_")))
                .as("every variable of the guide's .env but Vite's is one Laravel reads (a misspelt one is silently ignored)")
                .allMatch(LARAVEL_READS::contains);
        assertThat(dotenv).as("Laravel's app id and key are pushgate's, as the guide's properties have them")
                .containsEntry("PUSHER_APP_ID", properties.get("pushgate.compat.pusher.app-id"))
                .containsEntry("PUSHER_APP_KEY", properties.get("pushgate.compat.pusher.key"));

        Path certs = Nginx.generateCertificates(dir);
        app = EchoApp.start(dotenv.get("PUSHER_APP_KEY"), SECRET);
        nginx = Nginx.start(dir.resolve("proxy"), "pushgate.conf", port, certs, Map.of(PusherBrowserE2ETests.CATCH_ALL, """
                        location / {
                            proxy_pass http://127.0.0.1:%d;
                        }
                """.formatted(app.port())));
        URI https = URI.create(nginx.https("/"));
        host = https.getHost();
        httpsPort = https.getPort();

        // what a reader changes: where pushgate is, and the secret; everything else stays as the guide has it
        assertThat(dotenv).containsKeys("PUSHER_HOST", "PUSHER_PORT", "PUSHER_APP_SECRET");
        dotenv.put("PUSHER_HOST", host);
        dotenv.put("PUSHER_PORT", String.valueOf(httpsPort));
        dotenv.put("PUSHER_APP_SECRET", SECRET);

        Map<String, String> env = expand(dotenv);
        app.echoJs(echoJs(block(guide, "js", guide.indexOf("## Laravel")), vite(env)));
        browser = Chromium.start(dir, new TestCa(certs).serverSpkiSha256());
        backend = NodePusherClient.start(JSON.writeValueAsString(Map.of("connect", false,
                "sdk", sdkOptions(laravelPusherConnection(env)))),
                Map.of("NODE_EXTRA_CA_CERTS", certs.resolve("ca.crt").toString()));
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
    void theGuidesEchoHearsWhatTheGuidesBroadcasterTriggersOnAPublicChannel() {
        String orders = uniqueUid("orders");
        openPage("7");
        assertThat(eval("const c = Echo.connector.pusher.config; return [c.wsHost, c.wssPort, c.useTLS, c.cluster].join()"))
                .as("pusher-js took the guide's options, with .env's values as Vite puts them in")
                .isEqualTo(host + "," + httpsPort + ",true,mt1");

        eval("""
                const orders = arguments[0];
                Echo.channel(orders)
                    .subscribed(() => seen.subscribed.push(orders))
                    .listen('.OrderShipped', (e) => seen.events.push({channel: orders, event: e}));
                return null""", orders);
        awaitEval("return seen.subscribed.join()", orders);

        trigger(orders, "OrderShipped", "{\"order\":{\"id\":42}}");

        awaitEval("return JSON.stringify(seen.events)", "[{\"channel\":\"" + orders + "\",\"event\":{\"order\":{\"id\":42}}}]");
    }

    @Test
    void theGuidesEchoGetsAPrivateChannelThroughTheAppsAuthEndpoint() {
        String user = uniqueUid("u");
        String socketId = openPage(user);

        eval("""
                Echo.private(`orders.${arguments[0]}`)
                    .subscribed(() => seen.subscribed.push('orders'))
                    .error((e) => seen.errors.push({type: e.type, status: e.status}))
                    .listen('.OrderShipped', (e) => seen.events.push(e));
                return null""", user);
        awaitEval("return seen.subscribed.join() + JSON.stringify(seen.errors)", "orders[]");
        assertThat(app.authorisations()).as("Echo asked Laravel's default endpoint, /broadcasting/auth, which the guide relies on")
                .contains(new EchoApp.Authorisation(user, socketId, "private-orders." + user, 200));

        trigger("private-orders." + user, "OrderShipped", "{\"order\":{\"id\":7}}");

        awaitEval("return JSON.stringify(seen.events)", "[{\"order\":{\"id\":7}}]");
    }

    /** Opens the app's page as the user and waits for the guide's Echo to connect. @return its socket id */
    private String openPage(String user) {
        browser.get(nginx.https("/orders?user=" + user + "&name=Ann"));
        awaitEval("return window.Echo ? Echo.connectionStatus() : 'no Echo yet'", "connected");
        eval("window.seen = {subscribed: [], events: [], errors: []}; return null");
        return String.valueOf(eval("return Echo.socketId()"));
    }

    /** Laravel's broadcast of an event: the SDK's signed POST /apps/<id>/events, to where .env points. */
    private void trigger(String channel, String event, String data) {
        JsonNode answer = backend.call("{\"trigger\":{\"channels\":[\"" + channel + "\"],\"event\":\"" + event + "\",\"data\":"
                + JSON.writeValueAsString(data) + "}}");
        assertThat(answer.path("status").asInt()).as("%s", answer).isEqualTo(200);
    }

    /**
     * {@code connections.pusher} of Laravel's {@code config/broadcasting.php} (laravel/framework, Laravel 11 and
     * 12), with {@code env()} reading this .env:
     * <pre>
     * 'key' => env('PUSHER_APP_KEY'), 'secret' => env('PUSHER_APP_SECRET'), 'app_id' => env('PUSHER_APP_ID'),
     * 'options' => [
     *     'cluster' => env('PUSHER_APP_CLUSTER'),
     *     'host' => env('PUSHER_HOST') ?: 'api-'.env('PUSHER_APP_CLUSTER', 'mt1').'.pusher.com',
     *     'port' => env('PUSHER_PORT', 443),
     *     'scheme' => env('PUSHER_SCHEME', 'https'),
     *     'encrypted' => true,
     *     'useTLS' => env('PUSHER_SCHEME', 'https') === 'https',
     * ],
     * </pre>
     */
    static Map<String, Object> laravelPusherConnection(Map<String, String> env) {
        String host = env.get("PUSHER_HOST");
        String scheme = env.getOrDefault("PUSHER_SCHEME", "https");
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("cluster", env.get("PUSHER_APP_CLUSTER"));
        options.put("host", host == null || host.isEmpty() ? "api-" + env.getOrDefault("PUSHER_APP_CLUSTER", "mt1") + ".pusher.com" : host);
        options.put("port", env.getOrDefault("PUSHER_PORT", "443"));
        options.put("scheme", scheme);
        options.put("encrypted", true);
        options.put("useTLS", scheme.equals("https"));
        Map<String, Object> connection = new LinkedHashMap<>();
        connection.put("key", env.get("PUSHER_APP_KEY"));
        connection.put("secret", env.get("PUSHER_APP_SECRET"));
        connection.put("app_id", env.get("PUSHER_APP_ID"));
        connection.put("options", options);
        return connection;
    }

    /**
     * The connection as the Node SDK's options, which have the PHP SDK's names: {@code encrypted} is left out, the
     * old name of {@code useTLS}, which the Node SDK refuses beside it.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> sdkOptions(Map<String, Object> connection) {
        Map<String, Object> sdk = new LinkedHashMap<>((Map<String, Object>) connection.get("options"));
        sdk.remove("encrypted");
        sdk.put("appId", connection.get("app_id"));
        sdk.put("key", connection.get("key"));
        sdk.put("secret", connection.get("secret"));
        return sdk;
    }

    /**
     * The guide's echo.js as Vite serves it: each {@code import.meta.env.VITE_…} replaced by its value from .env
     * (a string, as Vite gives it); one the .env does not define fails here, where Vite would give undefined.
     */
    static String echoJs(String js, Map<String, String> vite) {
        Set<String> used = new LinkedHashSet<>();
        Matcher m = VITE_ENV.matcher(js);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            assertThat(vite).as("echo.js reads import.meta.env.%s", name).containsKey(name);
            used.add(name);
            m.appendReplacement(out, Matcher.quoteReplacement(JSON.writeValueAsString(vite.get(name))));
        }
        m.appendTail(out);
        assertThat(vite.keySet()).as("every VITE_ variable of the guide's .env is one its echo.js reads").isEqualTo(used);
        return out.toString();
    }

    /** What Vite exposes of a .env to the page's code: its VITE_ variables. */
    static Map<String, String> vite(Map<String, String> env) {
        Map<String, String> vite = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("VITE_")) {
                vite.put(name, value);
            }
        });
        return vite;
    }

    /**
     * A .env's lines as they are written: {@code NAME=value}, blank lines and {@code #} comments skipped, double
     * quotes taken off. {@code ${NAME}} is left for {@link #expand}, so that a value the reader changes (the host)
     * reaches the {@code VITE_} copies as it does in the file.
     */
    static Map<String, String> dotenv(String block) {
        Map<String, String> raw = new LinkedHashMap<>();
        for (String line : block.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            assertThat(eq).as("a .env line is NAME=value: %s", trimmed).isPositive();
            String value = trimmed.substring(eq + 1);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            raw.put(trimmed.substring(0, eq), value);
        }
        return raw;
    }

    /**
     * The values as Laravel (phpdotenv) and Vite (dotenv-expand) read them: {@code ${NAME}} in a double-quoted or
     * bare value is replaced by that variable's value, defined above it.
     */
    static Map<String, String> expand(Map<String, String> raw) {
        Pattern reference = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");
        Map<String, String> env = new LinkedHashMap<>();
        raw.forEach((name, value) -> {
            Matcher m = reference.matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                assertThat(env).as("${%s} in %s refers to a variable above it", m.group(1), name).containsKey(m.group(1));
                m.appendReplacement(out, Matcher.quoteReplacement(env.get(m.group(1))));
            }
            m.appendTail(out);
            env.put(name, out.toString());
        });
        return env;
    }

    static Map<String, String> properties(String block) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String line : block.split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                int eq = trimmed.indexOf('=');
                properties.put(trimmed.substring(0, eq).strip(), trimmed.substring(eq + 1).strip());
            }
        }
        return properties;
    }

    /** The first fenced block of that language at or after {@code from}. */
    static String block(String text, String language, int from) {
        assertThat(from).as("the guide has the section").isNotNegative();
        String fence = "```" + language + "\n";
        int start = text.indexOf(fence, from);
        assertThat(start).as("the guide has a ```%s block", language).isNotNegative();
        int end = text.indexOf("```", start + fence.length());
        return text.substring(start + fence.length(), end);
    }

    static String guide() {
        try {
            return Files.readString(GUIDE, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
