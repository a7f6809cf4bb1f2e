package io.pushgate.transport.pusher;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.pushgate.core.Disconnect;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SchemaValidator;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fails when the Pusher transport drifts from what {@code api-spec/} says of it: every operation
 * {@code openapi.yaml} marks {@code x-pushgate-enabled-by: pushgate.compat.pusher.enabled} is served and answers
 * with a documented status and body (the errors too), and the frames of {@code /app/{key}} match their payloads
 * in {@code asyncapi.yaml} (channel {@code pusher}), the JSON inside {@code data} strings included, and its
 * close codes are listed. Requests are signed and channels authorised here with the JDK's HMAC, apart from
 * pushgate's code, as Pusher documents it.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=" + PusherCompatTests.APP_ID,
        "pushgate.compat.pusher.key=" + PusherCompatTests.KEY, "pushgate.compat.pusher.secret=" + PusherCompatTests.SECRET})
class PusherApiSpecTests {

    private static final String ENABLED_BY = "pushgate.compat.pusher.enabled";
    private static final Path SPEC_DIR = Path.of("..", "api-spec");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static SchemaValidator openapi;
    private static SchemaValidator asyncapi;

    @LocalServerPort
    int port;

    @BeforeAll
    static void loadSpecs() {
        openapi = new SchemaValidator(SchemaValidator.loadYaml(SPEC_DIR.resolve("openapi.yaml")));
        asyncapi = new SchemaValidator(SchemaValidator.loadYaml(SPEC_DIR.resolve("asyncapi.yaml")));
    }

    /** An HTTP answer: status, media type (without parameters) and body. */
    private record Answer(String label, int status, String mediaType, String body) {
    }

    @Test
    void everyDocumentedOperationAnswersAsDocumentedAndTheFramesMatchTheirPayloads() {
        String channel = "presence-" + uniqueUid("spec");
        String ann = uniqueUid("ann");
        String bob = uniqueUid("bob");
        try (WsTestClient annSocket = connect(PusherCompatTests.KEY);
             WsTestClient bobSocket = connect(PusherCompatTests.KEY)) {
            String annId = established(annSocket);
            String bobId = established(bobSocket);

            subscribePresence(annSocket, annId, channel, ann);
            JsonNode alone = frame(annSocket, "subscriptionSucceeded", channel);
            assertThat(presence(alone).path("presence").path("ids").toString()).isEqualTo("[\"" + ann + "\"]");

            subscribePresence(bobSocket, bobId, channel, bob);
            assertThat(presence(frame(bobSocket, "subscriptionSucceeded", channel)).path("presence").path("count").asInt()).isEqualTo(2);
            JsonNode added = frame(annSocket, "memberAdded", channel);
            assertDataConforms("memberAdded", added);
            assertThat(JSON.readTree(added.path("data").asString()).path("user_id").asString()).isEqualTo(bob);

            send(annSocket, "clientPing", Map.of("event", "pusher:ping", "data", Map.of()));
            frame(annSocket, "serverPong", null);

            // a private channel with an auth signed by another secret: refused, the connection stays
            String refused = "private-" + uniqueUid("spec");
            send(annSocket, "subscribe", Map.of("event", "pusher:subscribe", "data", Map.of("channel", refused,
                    "auth", PusherCompatTests.KEY + ":" + hmac("another-secret", annId + ":" + refused))));
            assertThat(frame(annSocket, "subscriptionError", refused).path("data").path("status").asInt()).isEqualTo(401);
            assertThat(frame(annSocket, "error", null).path("data").path("code").asInt()).isEqualTo(4009);

            send(annSocket, "clientEvent", Map.of("event", "client-typing", "channel", channel, "data", Map.of("n", 1)));
            assertThat(frame(bobSocket, "event", channel).path("data").asString()).isEqualTo("{\"n\":1}");

            Map<String, Supplier<Answer>> recipes = new LinkedHashMap<>();
            String apps = "/apps/" + PusherCompatTests.APP_ID;
            recipes.put("POST /apps/{appId}/events", () -> call("POST", apps + "/events", Map.of(),
                    "{\"name\":\"OrderShipped\",\"channels\":[\"" + channel + "\"],\"data\":\"{\\\"id\\\":1}\"}"));
            recipes.put("POST /apps/{appId}/batch_events", () -> call("POST", apps + "/batch_events", Map.of(),
                    "{\"batch\":[{\"channel\":\"" + channel + "\",\"name\":\"a\",\"data\":\"1\"},{\"channel\":\"" + channel
                            + "\",\"name\":\"b\",\"data\":\"2\"}]}"));
            recipes.put("GET /apps/{appId}/channels", () -> call("GET", apps + "/channels",
                    Map.of("filter_by_prefix", "presence-", "info", "user_count"), null));
            recipes.put("GET /apps/{appId}/channels/{channelName}", () -> call("GET", apps + "/channels/" + channel,
                    Map.of("info", "subscription_count,user_count"), null));
            recipes.put("GET /apps/{appId}/channels/{channelName}/users", () -> call("GET", apps + "/channels/" + channel + "/users",
                    Map.of(), null));
            recipes.put("POST /apps/{appId}/users/{userId}/terminate_connections", () -> call("POST",
                    apps + "/users/" + bob + "/terminate_connections", Map.of(), "{}"));
            assertThat(recipes.keySet()).as("every Pusher operation openapi.yaml documents is exercised here")
                    .containsExactlyInAnyOrderElementsOf(documentedOperations());

            Map<String, JsonNode> answers = new LinkedHashMap<>();
            recipes.forEach((operation, recipe) -> {
                Answer answer = recipe.get();
                assertThat(answer.status()).as("%s answered %s", operation, answer).isEqualTo(200);
                assertConforms(operation, answer);
                answers.put(operation, JSON.readTree(answer.body()));
            });

            // what a backend and the pages would notice, beyond the shapes
            assertThat(frame(annSocket, "event", channel).path("event").asString()).isEqualTo("OrderShipped");
            assertThat(frame(annSocket, "event", channel).path("event").asString()).isEqualTo("a");
            assertThat(answers.get("GET /apps/{appId}/channels").path("channels").path(channel).path("user_count").asInt()).isEqualTo(2);
            assertThat(answers.get("GET /apps/{appId}/channels/{channelName}").toString())
                    .isEqualTo("{\"occupied\":true,\"user_count\":2,\"subscription_count\":2}");
            assertThat(answers.get("GET /apps/{appId}/channels/{channelName}/users").path("users")).hasSize(2);
            assertThat(answers.get("POST /apps/{appId}/batch_events").toString()).isEqualTo("{\"batch\":[{},{}]}");

            // terminate_connections closed Bob with a documented code; Ann hears he left
            assertThat(closeCodes()).contains(String.valueOf(bobSocket.awaitClose().code()));
            assertThat(bobSocket.awaitClose().code()).isEqualTo(4009);
            JsonNode removed = frame(annSocket, "memberRemoved", channel);
            assertDataConforms("memberRemoved", removed);

            send(annSocket, "unsubscribe", Map.of("event", "pusher:unsubscribe", "data", Map.of("channel", channel)));
        }
    }

    @Test
    void refusedRequestsAnswerAsDocumented() {
        String apps = "/apps/" + PusherCompatTests.APP_ID;
        String events = "POST /apps/{appId}/events";
        String trigger = "{\"name\":\"e\",\"channel\":\"c\",\"data\":\"x\"}";

        Answer badData = call("POST", apps + "/events", Map.of(), "{\"name\":\"e\",\"channel\":\"c\",\"data\":{\"x\":1}}");
        assertThat(badData.status()).as("%s", badData).isEqualTo(400);
        assertConforms(events, badData);

        Answer otherSecret = signed("POST", apps + "/events", Map.of(), trigger, "another-secret", now());
        assertThat(otherSecret.status()).as("%s", otherSecret).isEqualTo(401);
        assertConforms(events, otherSecret);
        assertThat(otherSecret.body()).contains("Invalid signature");

        Answer stale = signed("POST", apps + "/events", Map.of(), trigger, PusherCompatTests.SECRET, now() - 601);
        assertThat(stale.status()).as("%s", stale).isEqualTo(401);
        assertConforms(events, stale);

        Answer otherApp = call("POST", "/apps/not-" + PusherCompatTests.APP_ID + "/events", Map.of(), trigger);
        assertThat(otherApp.status()).as("%s", otherApp).isEqualTo(404);
        assertConforms(events, otherApp);

        Answer tooLarge = call("POST", apps + "/events", Map.of(), "{\"name\":\"e\",\"channel\":\"c\",\"data\":\""
                + "x".repeat(1024 * 1024) + "\"}");
        assertThat(tooLarge.status()).as("%s", tooLarge.label()).isEqualTo(413);
        assertConforms(events, tooLarge);

        Answer userCountOfPublic = call("GET", apps + "/channels/public-one", Map.of("info", "user_count"), null);
        assertThat(userCountOfPublic.status()).as("%s", userCountOfPublic).isEqualTo(400);
        assertConforms("GET /apps/{appId}/channels/{channelName}", userCountOfPublic);

        Answer usersOfPublic = call("GET", apps + "/channels/public-one/users", Map.of(), null);
        assertThat(usersOfPublic.status()).as("%s", usersOfPublic).isEqualTo(400);
        assertConforms("GET /apps/{appId}/channels/{channelName}/users", usersOfPublic);
    }

    @Test
    void anUnknownKeyIsADocumentedErrorThenADocumentedClose() {
        try (WsTestClient socket = connect("not-the-key")) {
            assertThat(frame(socket, "error", null).path("data").path("code").asInt()).isEqualTo(4001);
            int code = socket.awaitClose().code();
            assertThat(code).isEqualTo(4001);
            assertThat(closeCodes()).contains(String.valueOf(code));
        }
    }

    @Test
    void everyCloseCodeTheTransportSendsIsListed() {
        Set<String> sent = new TreeSet<>();
        for (Disconnect own : List.of(PusherWebSocket.NO_SUCH_APP, PusherWebSocket.BAD_PROTOCOL, PusherWebSocket.UNAUTHORIZED,
                PusherWebSocket.OVER_CAPACITY, PusherWebSocket.RECONNECT, PusherWebSocket.NO_PONG, PusherWebSocket.TOO_FAST)) {
            sent.add(String.valueOf(own.code()));
        }
        // and what each close of the node's own (kicks, bans, limits, shutdown, heartbeat) becomes on this transport
        for (Disconnect node : List.of(Disconnect.SHUTDOWN, Disconnect.TRY_AGAIN_LATER, Disconnect.UNAUTHORIZED, Disconnect.KICKED,
                Disconnect.BANNED, Disconnect.SLOW_CLIENT, Disconnect.HEARTBEAT_TIMEOUT, Disconnect.TOO_MANY_SESSIONS,
                Disconnect.RATE_LIMITED)) {
            sent.add(String.valueOf(PusherWebSocket.pusherCode(node).code()));
        }
        assertThat(sent).containsExactlyInAnyOrderElementsOf(closeCodes());
    }

    // ---------------------------------------------------------------- helpers

    private WsTestClient connect(String key) {
        return WsTestClient.connect(URI.create("ws://127.0.0.1:" + port + "/app/" + key + "?protocol=7&client=js&version=8.6.0"));
    }

    /** The connection's first frame, checked with the JSON in its data; @return the socket id */
    private static String established(WsTestClient socket) {
        JsonNode frame = frame(socket, "connectionEstablished", null);
        return assertDataConforms("connectionEstablished", frame).path("socket_id").asString();
    }

    private static void subscribePresence(WsTestClient socket, String socketId, String channel, String userId) {
        String channelData = "{\"user_id\":\"" + userId + "\",\"user_info\":{\"name\":\"" + userId + "\"}}";
        send(socket, "subscribe", Map.of("event", "pusher:subscribe", "data", Map.of("channel", channel, "channel_data", channelData,
                "auth", PusherCompatTests.KEY + ":" + hmac(PusherCompatTests.SECRET, socketId + ":" + channel + ":" + channelData))));
    }

    /** A presence subscription_succeeded's data, checked against the documented content. */
    private static JsonNode presence(JsonNode frame) {
        JsonNode data = assertDataConforms("subscriptionSucceeded", frame);
        assertThat(asyncapi.validate("#/components/schemas/PusherPresenceData", data)).as("%s", frame).isEmpty();
        return data;
    }

    /** Sends a client frame after checking it against the channel's documented payload. */
    private static void send(WsTestClient socket, String message, Map<String, ?> frame) {
        assertThat(asyncapi.validate(payload(message), JSON.valueToTree(frame))).as("%s against %s", frame, message).isEmpty();
        socket.sendJson(frame);
    }

    /**
     * The next frame with the message's event name (and channel, when given), checked against its payload;
     * frames in between (a heartbeat's ping on a slow machine) are skipped.
     */
    private static JsonNode frame(WsTestClient socket, String message, String channel) {
        String event = asyncapi.deref(asyncapi.resolve("#/channels/pusher/messages/" + message)).path("name").asString();
        JsonNode frame = socket.next(f -> ("event".equals(message) ? !f.path("event").asString("").startsWith("pusher")
                : event.equals(f.path("event").asString())) && (channel == null || channel.equals(f.path("channel").asString(null))));
        assertThat(asyncapi.validate(payload(message), frame)).as("frame %s against %s", frame, message).isEmpty();
        return frame;
    }

    private static JsonNode payload(String message) {
        return asyncapi.deref(asyncapi.deref(asyncapi.resolve("#/channels/pusher/messages/" + message)).path("payload"));
    }

    /** The JSON text in the frame's {@code data} against the {@code contentSchema} documented for it. @return that JSON */
    private static JsonNode assertDataConforms(String message, JsonNode frame) {
        JsonNode contentSchema = payload(message).path("properties").path("data").path("contentSchema");
        assertThat(contentSchema.isObject()).as("%s documents the JSON in data", message).isTrue();
        JsonNode data = JSON.readTree(frame.path("data").asString());
        assertThat(asyncapi.validate(contentSchema, data)).as("data of %s against %s", frame, message).isEmpty();
        return data;
    }

    private static Set<String> closeCodes() {
        return new TreeSet<>(asyncapi.resolve("#/channels/pusher/x-close-codes").propertyNames());
    }

    /** "METHOD /path" of every operation marked as enabled by pushgate.compat.pusher.enabled. */
    private static Set<String> documentedOperations() {
        Set<String> operations = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : openapi.document().path("paths").properties()) {
            if (ENABLED_BY.equals(path.getValue().path("x-pushgate-enabled-by").asString(null))) {
                for (String key : path.getValue().propertyNames()) {
                    if (Set.of("get", "put", "post", "delete", "patch").contains(key)) {
                        operations.add(key.toUpperCase() + " " + path.getKey());
                    }
                }
            }
        }
        assertThat(operations).as("sanity: openapi.yaml documents Pusher's API").isNotEmpty();
        return operations;
    }

    /** The answer's status is documented for the operation, with its media type, and the body matches the schema. */
    private static void assertConforms(String operation, Answer answer) {
        int space = operation.indexOf(' ');
        JsonNode documented = openapi.document().path("paths").path(operation.substring(space + 1))
                .path(operation.substring(0, space).toLowerCase());
        assertThat(documented.isObject()).as("openapi.yaml documents %s", operation).isTrue();
        JsonNode response = documented.path("responses").get(String.valueOf(answer.status()));
        assertThat(response).as("%s answered a status openapi.yaml does not document for it: %s", operation, answer.label()).isNotNull();
        JsonNode content = openapi.deref(response).path("content");
        assertThat(content.has(answer.mediaType())).as("%s: %s not documented for %s", operation, answer.mediaType(), answer.status()).isTrue();
        JsonNode schema = content.path(answer.mediaType()).path("schema");
        JsonNode body = answer.mediaType().equals("application/json") ? JSON.readTree(answer.body()) : JSON.valueToTree(answer.body());
        assertThat(openapi.validate(schema, body)).as("%s: body does not match the schema: %s", operation, answer.label()).isEmpty();
    }

    private Answer call(String method, String path, Map<String, String> query, String body) {
        return signed(method, path, query, body, PusherCompatTests.SECRET, now());
    }

    /** A request signed as Pusher documents it (and the SDKs do), with the given secret and timestamp. */
    private Answer signed(String method, String path, Map<String, String> query, String body, String secret, long timestamp) {
        Map<String, String> params = new TreeMap<>(query);
        params.put("auth_key", PusherCompatTests.KEY);
        params.put("auth_timestamp", String.valueOf(timestamp));
        params.put("auth_version", "1.0");
        if (body != null && !body.isEmpty()) {
            params.put("body_md5", md5(body));
        }
        StringBuilder signed = new StringBuilder();
        params.forEach((name, value) -> signed.append(signed.isEmpty() ? "" : "&").append(name).append('=').append(value));
        String queryString = signed + "&auth_signature=" + hmac(secret, method + "\n" + path + "\n" + signed);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path + "?" + queryString))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String type = response.headers().firstValue("Content-Type").orElse("");
            int semicolon = type.indexOf(';');
            String label = method + " " + path + " -> " + response.statusCode() + " " + type + " "
                    + response.body().substring(0, Math.min(200, response.body().length()));
            return new Answer(label, response.statusCode(), semicolon < 0 ? type : type.substring(0, semicolon).trim(), response.body());
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed", e);
        }
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
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

    private static String md5(String body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
