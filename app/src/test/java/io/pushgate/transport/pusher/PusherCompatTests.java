package io.pushgate.transport.pusher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import io.pushgate.support.Api;
import io.pushgate.support.NodePusherClient;
import io.pushgate.support.PushgateIntegrationTest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * pusher-js (the Node build, as Laravel Echo drives it in a page) against {@code /app/{key}}, and the
 * {@code pusher} server SDK (as Laravel's broadcaster calls it) against {@code /apps/{id}/}: both stock, from npm
 * ({@code npm ci} in {@code app/src/test/node}), so tagged e2e as the other Node-driven tests are ({@code -Pe2e}).
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.pusher.enabled=true", "pushgate.compat.pusher.app-id=" + PusherCompatTests.APP_ID,
        "pushgate.compat.pusher.key=" + PusherCompatTests.KEY, "pushgate.compat.pusher.secret=" + PusherCompatTests.SECRET})
class PusherCompatTests {

    static final String APP_ID = "4242";
    static final String KEY = "test-pusher-key";
    static final String SECRET = "test-pusher-secret-0123456789";

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    private NodePusherClient page() {
        NodePusherClient page = NodePusherClient.start(options(true));
        page.socketId();
        return page;
    }

    private NodePusherClient backend() {
        return NodePusherClient.start(options(false));
    }

    private String options(boolean connect) {
        return "{\"port\":" + port + ",\"appId\":\"" + APP_ID + "\",\"key\":\"" + KEY + "\",\"secret\":\"" + SECRET
                + "\",\"connect\":" + connect + "}";
    }

    private static void subscribe(NodePusherClient page, String channel) {
        page.send("{\"subscribe\":\"" + channel + "\"}");
        page.await(line -> channel.equals(line.path("subscribed").asString(null)), "subscribed to " + channel);
    }

    private static JsonNode event(NodePusherClient page, String channel, String event) {
        return page.await(line -> channel.equals(line.path("channel").asString(null)) && event.equals(line.path("event").asString(null)),
                event + " on " + channel);
    }

    @Test
    void pusherJsConnectsAndGetsASocketIdOfPushersForm() {
        try (NodePusherClient page = page()) {
            assertThat(page.socketId()).matches("\\d+\\.\\d+");
            assertThat(SocketIds.clientId(page.socketId())).startsWith("test-");
        }
    }

    @Test
    void aPublicChannelGetsWhatTheServerSdkTriggers() {
        String channel = uniqueUid("orders");
        try (NodePusherClient page = page(); NodePusherClient backend = backend()) {
            subscribe(page, channel);

            JsonNode answer = backend.call("{\"trigger\":{\"channels\":[\"" + channel + "\"],\"event\":\"OrderShipped\",\"data\":{\"id\":7}}}");
            assertThat(answer.path("status").asInt()).isEqualTo(200);
            assertThat(event(page, channel, "OrderShipped").path("data").path("id").asInt()).isEqualTo(7);

            // pushgate's own API reaches the same channel; its non-string data arrives as pusher-js parses Pusher's strings
            api.publish("{\"to\":{\"groups\":[\"" + channel + "\"]},\"event\":\"stock\",\"data\":{\"left\":3}}");
            assertThat(event(page, channel, "stock").path("data").path("left").asInt()).isEqualTo(3);

            JsonNode batch = backend.call("{\"batch\":[{\"channel\":\"" + channel + "\",\"name\":\"first\",\"data\":\"1\"},"
                    + "{\"channel\":\"" + channel + "\",\"name\":\"second\",\"data\":\"two\"}]}");
            assertThat(batch.path("status").asInt()).isEqualTo(200);
            assertThat(event(page, channel, "first").path("data").asInt()).isEqualTo(1);
            assertThat(event(page, channel, "second").path("data").asString()).isEqualTo("two");
        }
    }

    @Test
    void aTriggerWithASocketIdLeavesThatConnectionOut() {
        String channel = uniqueUid("news");
        try (NodePusherClient sender = page(); NodePusherClient other = page(); NodePusherClient backend = backend()) {
            subscribe(sender, channel);
            subscribe(other, channel);

            backend.call("{\"trigger\":{\"channels\":[\"" + channel + "\"],\"event\":\"mine\",\"data\":\"x\",\"socket_id\":\""
                    + sender.socketId() + "\"}}");
            backend.call("{\"trigger\":{\"channels\":[\"" + channel + "\"],\"event\":\"all\",\"data\":\"y\"}}");

            event(other, channel, "mine");
            event(sender, channel, "all");
            // publish order holds per channel: had "mine" reached the sender, it would have come before "all"
            assertThat(sender.seen()).noneMatch(line -> "mine".equals(line.path("event").asString(null)));
        }
    }

    @Test
    void aPrivateChannelNeedsAnAuthSignedWithTheAppSecret() {
        String good = "private-" + uniqueUid("a");
        String bad = "private-" + uniqueUid("b");
        try (NodePusherClient page = page(); NodePusherClient backend = backend()) {
            subscribe(page, good);

            page.send("{\"subscribe\":\"" + bad + "\",\"secret\":\"not-the-app-secret-at-all\"}");
            JsonNode refused = page.await(line -> bad.equals(line.path("subscription_error").asString(null)), "the subscription error");
            assertThat(refused.path("status").asInt()).isEqualTo(401);

            backend.call("{\"trigger\":{\"channels\":[\"" + bad + "\",\"" + good + "\"],\"event\":\"secret\",\"data\":\"s\"}}");
            event(page, good, "secret");
            assertThat(page.seen()).noneMatch(line -> bad.equals(line.path("channel").asString(null)));
        }
    }

    @Test
    void anEncryptedChannelIsRefusedClearly() {
        String channel = "private-encrypted-" + uniqueUid("e");
        try (NodePusherClient page = page()) {
            page.send("{\"subscribe\":\"" + channel + "\"}");
            // the auth endpoint (the SDK with a master key) gives pusher-js its shared secret; the server then says no
            JsonNode refused = page.await(line -> channel.equals(line.path("subscription_error").asString(null)), "the refusal");
            assertThat(refused.path("type").asString()).isEqualTo("NotSupported");
            assertThat(refused.path("detail").asString()).contains("not supported");
        }
    }

    @Test
    void presenceMembersComeAndGoOncePerUser() {
        String channel = "presence-" + uniqueUid("room");
        try (NodePusherClient ann = page(); NodePusherClient bob = page(); NodePusherClient bobAgain = page();
             NodePusherClient backend = backend()) {
            ann.send("{\"subscribe\":\"" + channel + "\",\"user\":{\"user_id\":\"1\",\"user_info\":{\"name\":\"Ann\"}}}");
            JsonNode here = ann.await(line -> channel.equals(line.path("subscribed").asString(null)), "ann subscribed");
            assertThat(here.path("members").toString()).isEqualTo("[{\"id\":\"1\",\"info\":{\"name\":\"Ann\"}}]");

            bob.send("{\"subscribe\":\"" + channel + "\",\"user\":{\"user_id\":2,\"user_info\":{\"name\":\"Bob\"}}}");
            JsonNode both = bob.await(line -> channel.equals(line.path("subscribed").asString(null)), "bob subscribed");
            assertThat(both.path("members").toString()).contains("\"id\":\"1\"").contains("\"id\":\"2\"");
            JsonNode joined = ann.await(line -> line.has("member_added"), "bob joining");
            assertThat(joined.path("id").asString()).isEqualTo("2");
            assertThat(joined.path("info").path("name").asString()).isEqualTo("Bob");

            // Bob's second tab is the same member: nobody is told
            bobAgain.send("{\"subscribe\":\"" + channel + "\",\"user\":{\"user_id\":2,\"user_info\":{\"name\":\"Bob\"}}}");
            bobAgain.await(line -> channel.equals(line.path("subscribed").asString(null)), "bob's second tab subscribed");

            JsonNode users = backend.call("{\"get\":\"/channels/" + channel + "/users\"}");
            assertThat(users.path("body").toString()).isEqualTo("{\"users\":[{\"id\":\"1\"},{\"id\":\"2\"}]}");
            JsonNode info = backend.call("{\"get\":\"/channels/" + channel + "\",\"params\":{\"info\":\"user_count,subscription_count\"}}");
            assertThat(info.path("body").toString()).isEqualTo("{\"occupied\":true,\"user_count\":2,\"subscription_count\":3}");

            bob.send("{\"unsubscribe\":\"" + channel + "\"}");
            bobAgain.close(); // the page goes away
            JsonNode left = ann.await(line -> line.has("member_removed"), "bob leaving");
            assertThat(left.path("id").asString()).isEqualTo("2");
            List<JsonNode> told = new ArrayList<>();
            ann.seen().stream().filter(line -> line.has("member_added") || line.has("member_removed")).forEach(told::add);
            assertThat(told).hasSize(2); // one added, one removed, for two connections of Bob's
        }
    }

    @Test
    void clientEventsReachTheOtherMembersButNotTheSender() {
        String channel = "private-" + uniqueUid("chat");
        try (NodePusherClient ann = page(); NodePusherClient bob = page()) {
            subscribe(ann, channel);
            subscribe(bob, channel);

            ann.send("{\"clientEvent\":\"client-typing\",\"channel\":\"" + channel + "\",\"data\":{\"who\":\"ann\"}}");
            assertThat(event(bob, channel, "client-typing").path("data").path("who").asString()).isEqualTo("ann");

            bob.send("{\"clientEvent\":\"client-reply\",\"channel\":\"" + channel + "\",\"data\":{\"who\":\"bob\"}}");
            event(ann, channel, "client-reply");
            // Ann's own event, had it come back, would have come before Bob's answer to it
            assertThat(ann.seen()).noneMatch(line -> "client-typing".equals(line.path("event").asString(null)));
        }
    }

    /** pushgate.ws.frame-burst (40) frames at once, then frames-per-second (20): the rest are refused. */
    @Test
    void clientEventsAreRateLimitedLikeOtherClientFrames() {
        String channel = "private-" + uniqueUid("flood");
        try (NodePusherClient ann = page()) {
            subscribe(ann, channel);

            ann.send("{\"clientEvent\":\"client-spam\",\"channel\":\"" + channel + "\",\"data\":{},\"times\":45}");
            JsonNode refused = ann.await(line -> line.path("error").path("code").asInt(0) == 4301, "a rate limit error");
            assertThat(refused.path("error").path("message").asString()).contains("per second");
        }
    }

    @Test
    void terminatingAUsersConnectionsClosesThemForGood() {
        String channel = "presence-" + uniqueUid("ended");
        try (NodePusherClient ann = page(); NodePusherClient bob = page(); NodePusherClient backend = backend()) {
            ann.send("{\"subscribe\":\"" + channel + "\",\"user\":{\"user_id\":\"ann\"}}");
            ann.await(line -> channel.equals(line.path("subscribed").asString(null)), "ann subscribed");
            bob.send("{\"subscribe\":\"" + channel + "\",\"user\":{\"user_id\":\"bob\"}}");
            bob.await(line -> channel.equals(line.path("subscribed").asString(null)), "bob subscribed");

            assertThat(backend.call("{\"terminate\":\"bob\"}").path("status").asInt()).isEqualTo(200);

            assertThat(ann.await(line -> line.has("member_removed"), "bob leaving").path("id").asString()).isEqualTo("bob");
            // 4009 is in Pusher's 4000-4099: pusher-js does not reconnect
            bob.await(line -> "disconnected".equals(line.path("state").asString(null)) || "failed".equals(line.path("state").asString(null)),
                    "bob's connection closed");
        }
    }

    @Test
    void channelQueriesAnswerAsPushersApi() {
        String channel = uniqueUid("listed");
        try (NodePusherClient page = page(); NodePusherClient backend = backend()) {
            subscribe(page, channel);

            JsonNode all = backend.call("{\"get\":\"/channels\"}");
            assertThat(all.path("status").asInt()).isEqualTo(200);
            assertThat(all.path("body").path("channels").has(channel)).isTrue();

            JsonNode one = backend.call("{\"get\":\"/channels/" + channel + "\",\"params\":{\"info\":\"subscription_count\"}}");
            assertThat(one.path("body").toString()).isEqualTo("{\"occupied\":true,\"subscription_count\":1}");

            JsonNode empty = backend.call("{\"get\":\"/channels/" + uniqueUid("nobody") + "\"}");
            assertThat(empty.path("body").toString()).isEqualTo("{\"occupied\":false}");
        }
    }

    @Test
    void requestsTheSdkWouldNeverSignAreRefused() throws Exception {
        String body = "{\"name\":\"e\",\"channel\":\"c\",\"data\":\"d\"}";
        long now = System.currentTimeMillis() / 1000;
        assertThat(post(body, signedQuery("POST", "/apps/" + APP_ID + "/events", body, now, SECRET)).statusCode()).isEqualTo(200);

        // a body changed after signing
        assertThat(post(body.replace("\"d\"", "\"changed\""), signedQuery("POST", "/apps/" + APP_ID + "/events", body, now, SECRET))
                .statusCode()).isEqualTo(401);
        // a request older than ten minutes, correctly signed
        HttpResponse<String> stale = post(body, signedQuery("POST", "/apps/" + APP_ID + "/events", body, now - 601, SECRET));
        assertThat(stale.statusCode()).isEqualTo(401);
        assertThat(stale.body()).contains("Timestamp expired");
        // another secret
        assertThat(post(body, signedQuery("POST", "/apps/" + APP_ID + "/events", body, now, "another-secret-entirely")).statusCode())
                .isEqualTo(401);
        // no signature at all
        assertThat(post(body, "").statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> post(String body, String query) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/apps/" + APP_ID + "/events?" + query))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The query Pusher's SDKs send: auth_* and body_md5, signed over METHOD\nPATH\nsorted query. */
    private static String signedQuery(String method, String path, String body, long timestamp, String secret) {
        TreeMap<String, String> params = new TreeMap<>();
        params.put("auth_key", KEY);
        params.put("auth_timestamp", Long.toString(timestamp));
        params.put("auth_version", "1.0");
        params.put("body_md5", PusherApp.md5(body.getBytes(StandardCharsets.UTF_8)));
        StringBuilder query = new StringBuilder();
        params.forEach((k, v) -> query.append(query.isEmpty() ? "" : "&").append(k).append('=').append(v));
        String signature = new PusherApp(APP_ID, KEY, secret).sign(method + "\n" + path + "\n" + query);
        return query + "&auth_signature=" + signature;
    }
}
