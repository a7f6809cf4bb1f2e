package io.pushgate.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import tools.jackson.databind.json.JsonMapper;

/**
 * The web app a Laravel site is, reduced to what Echo in its page needs, on a free loopback port (nginx puts it
 * behind the same host as pushgate):
 * <ul>
 * <li>{@code GET /orders?user=<id>&name=<name>} logs that user in (a session cookie, as Laravel's) and answers
 * the page: a {@code csrf-token} meta tag (which Echo sends as {@code X-CSRF-TOKEN}), the stock browser build of
 * pusher-js as a script (it sets {@code window.Pusher}), and a module that imports the stock ES build of
 * laravel-echo and creates {@code window.Echo} as Laravel's {@code resources/js/echo.js} does, with the values
 * Vite would take from {@code .env}; or, once {@link #echoJs} is given, a page that runs that script as the
 * app's own {@code resources/js/echo.js}, its imports of {@code laravel-echo} and {@code pusher-js} resolved
 * by an import map.</li>
 * <li>{@code GET /vendor/pusher-js/…} and {@code /vendor/laravel-echo/…}: the files of the packages' {@code dist}
 * folders in {@code app/src/test/node/node_modules} (installed by {@code npm ci}, pinned by its lock file), as
 * a build would copy them; nothing comes from a CDN.</li>
 * <li>{@code POST /broadcasting/auth}: Laravel's channel authorisation, for the session's user, with a CSRF
 * token check (419 without it, as Laravel). Channel rules as a {@code routes/channels.php} would have them:
 * {@code private-orders.{id}} for that user only, {@code presence-chat.*} for everyone, with
 * {@code {"id","name"}} as the member's info; {@code private-audit.*} is signed with another secret than
 * pushgate's, as an app whose {@code PUSHER_APP_SECRET} is out of date; anything else 403. The signature is
 * computed here with the JDK's HMAC, apart from pushgate's code: {@code key:hex(HMAC-SHA256(secret,
 * socket_id:channel[:channel_data]))}, the form Pusher documents.</li>
 * </ul>
 */
final class EchoApp implements AutoCloseable {

    static final Path NODE_MODULES = Path.of("src/test/node/node_modules").toAbsolutePath();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, String> DIST = Map.of(
            "/vendor/pusher-js/", "pusher-js/dist/web/",
            "/vendor/laravel-echo/", "laravel-echo/dist/");

    /** One call of the auth endpoint as the app answered it. */
    record Authorisation(String user, String socketId, String channel, int status) {
    }

    private record User(String id, String name, String csrf) {
    }

    private final HttpServer server;
    private final String key;
    private final String secret;
    private final Map<String, User> sessions = new ConcurrentHashMap<>();
    private final List<Authorisation> authorisations = new CopyOnWriteArrayList<>();
    /** Where the page's Echo connects: the host and port of nginx's https. */
    private volatile String wsHost = "localhost";
    private volatile int wsPort = 443;
    /** A Laravel app's own {@code resources/js/echo.js}, as Vite would serve it, instead of the page's built-in one. */
    private volatile String echoJs;

    private EchoApp(HttpServer server, String key, String secret) {
        this.server = server;
        this.key = key;
        this.secret = secret;
        server.createContext("/orders", this::page);
        server.createContext("/vendor/", this::vendor);
        server.createContext("/vendor-modules/pusher-js.js", this::pusherModule);
        server.createContext("/broadcasting/auth", this::auth);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "echo-app");
            t.setDaemon(true);
            return t;
        }));
    }

    /** Starts the app on a free loopback port with the Pusher app's key and secret (the app's {@code .env}). */
    static EchoApp start(String key, String secret) throws IOException {
        for (String file : List.of("pusher-js/dist/web/pusher.js", "laravel-echo/dist/echo.js")) {
            if (!Files.isRegularFile(NODE_MODULES.resolve(file))) {
                throw new IllegalStateException(file + " is not installed: run npm ci in " + NODE_MODULES.getParent());
            }
        }
        EchoApp app = new EchoApp(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0), key, secret);
        app.server.start();
        return app;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Where the page's Echo connects ({@code VITE_PUSHER_HOST}, {@code VITE_PUSHER_PORT}). */
    void pusherHost(String host, int port) {
        this.wsHost = host;
        this.wsPort = port;
    }

    /**
     * Has the page run this {@code resources/js/echo.js} (its {@code import.meta.env} already resolved, as Vite
     * does) instead of the built-in Echo: its {@code import … from 'laravel-echo'} and {@code 'pusher-js'} stay as
     * written, an import map sends them to the stock builds, as a bundler resolves the packages.
     */
    void echoJs(String js) {
        this.echoJs = js;
    }

    List<Authorisation> authorisations() {
        return List.copyOf(authorisations);
    }

    private void page(HttpExchange exchange) throws IOException {
        Map<String, String> query = form(exchange.getRequestURI().getRawQuery());
        String session = token();
        User user = new User(query.getOrDefault("user", "1"), query.getOrDefault("name", "Ann"), token());
        sessions.put(session, user);
        exchange.getResponseHeaders().add("Set-Cookie", "laravel_session=" + session + "; Path=/; Secure; HttpOnly; SameSite=Lax");
        String html = echoJs != null ? guidePage(user) : """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="csrf-token" content="%s">
                <title>Orders</title>
                <script src="/vendor/pusher-js/pusher.js"></script>
                </head>
                <body>
                <h1>Orders of %s</h1>
                <script type="module">
                import Echo from '/vendor/laravel-echo/echo.js';

                // resources/js/echo.js, with the values Vite takes from .env (window.Pusher: the script above)
                window.Echo = new Echo({
                    broadcaster: 'pusher',
                    key: %s,
                    cluster: 'mt1',
                    wsHost: %s,
                    wsPort: %d,
                    wssPort: %d,
                    forceTLS: true,
                    enabledTransports: ['ws', 'wss'],
                    authEndpoint: '/broadcasting/auth',
                });
                </script>
                </body>
                </html>
                """.formatted(user.csrf(), escape(user.name()), JSON.writeValueAsString(key), JSON.writeValueAsString(wsHost),
                wsPort, wsPort);
        send(exchange, 200, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The page with the app's own {@code echo.js}. 'laravel-echo' is its stock ES build; 'pusher-js' is the stock
     * browser build, which is no ES module: the script tag loads it (it sets {@code window.Pusher}) and a module of
     * one line gives that as the default export, which is what importing the package yields in a bundle.
     */
    private String guidePage(User user) {
        return """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="csrf-token" content="%s">
                <title>Orders</title>
                <script type="importmap">
                {"imports": {"laravel-echo": "/vendor/laravel-echo/echo.js", "pusher-js": "/vendor-modules/pusher-js.js"}}
                </script>
                <script src="/vendor/pusher-js/pusher.js"></script>
                </head>
                <body>
                <h1>Orders of %s</h1>
                <script type="module">
                %s
                </script>
                </body>
                </html>
                """.formatted(user.csrf(), escape(user.name()), echoJs);
    }

    private void pusherModule(HttpExchange exchange) throws IOException {
        send(exchange, 200, "text/javascript; charset=utf-8", "export default window.Pusher;\n".getBytes(StandardCharsets.UTF_8));
    }

    private void vendor(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        for (Map.Entry<String, String> dist : DIST.entrySet()) {
            if (path.startsWith(dist.getKey())) {
                String name = path.substring(dist.getKey().length());
                Path file = NODE_MODULES.resolve(dist.getValue()).resolve(name).normalize();
                if (name.matches("[A-Za-z0-9._-]+") && file.startsWith(NODE_MODULES.resolve(dist.getValue())) && Files.isRegularFile(file)) {
                    String type = name.endsWith(".js") ? "text/javascript; charset=utf-8" : "application/json";
                    send(exchange, 200, type, Files.readAllBytes(file));
                    return;
                }
            }
        }
        send(exchange, 404, "text/plain", "no such file".getBytes(StandardCharsets.UTF_8));
    }

    /** Laravel's {@code /broadcasting/auth}: what pusher-js posts (a form of socket_id and channel_name) and what it expects back. */
    private void auth(HttpExchange exchange) throws IOException {
        User user = sessions.get(cookie(exchange, "laravel_session"));
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> form = form(new String(body, StandardCharsets.UTF_8));
        String socketId = form.getOrDefault("socket_id", "");
        String channel = form.getOrDefault("channel_name", "");
        int status;
        String answer;
        if (!"POST".equals(exchange.getRequestMethod()) || user == null) {
            status = 403;
            answer = "{\"message\":\"Unauthenticated.\"}";
        } else if (!user.csrf().equals(exchange.getRequestHeaders().getFirst("X-CSRF-TOKEN"))) {
            status = 419;
            answer = "{\"message\":\"CSRF token mismatch.\"}";
        } else if (channel.equals("private-orders." + user.id())) {
            status = 200;
            answer = JSON.writeValueAsString(Map.of("auth", key + ":" + hmac(secret, socketId + ":" + channel)));
        } else if (channel.startsWith("private-audit.")) {
            status = 200;
            answer = JSON.writeValueAsString(Map.of("auth", key + ":" + hmac("an-old-secret", socketId + ":" + channel)));
        } else if (channel.startsWith("presence-chat.")) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("id", user.id());
            info.put("name", user.name());
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("user_id", user.id());
            member.put("user_info", info);
            String channelData = JSON.writeValueAsString(member);
            status = 200;
            answer = JSON.writeValueAsString(Map.of("auth", key + ":" + hmac(secret, socketId + ":" + channel + ":" + channelData),
                    "channel_data", channelData));
        } else {
            status = 403;
            answer = "{\"message\":\"This action is unauthorized.\"}";
        }
        authorisations.add(new Authorisation(user == null ? "" : user.id(), socketId, channel, status));
        send(exchange, status, "application/json", answer.getBytes(StandardCharsets.UTF_8));
    }

    private static String hmac(String secret, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String cookie(HttpExchange exchange, String name) {
        for (String header : exchange.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String pair : header.split(";")) {
                String[] parts = pair.trim().split("=", 2);
                if (parts.length == 2 && parts[0].equals(name)) {
                    return parts[1];
                }
            }
        }
        return "";
    }

    private static Map<String, String> form(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return fields;
        }
        for (String pair : text.split("&")) {
            String[] parts = pair.split("=", 2);
            fields.put(URLDecoder.decode(parts[0], StandardCharsets.UTF_8),
                    parts.length == 2 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "");
        }
        return fields;
    }

    private static String token() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
