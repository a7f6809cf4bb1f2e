package io.pushgate.support;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Pusher protocol 7 connection over a plain WebSocket, for tests that need many connections fast (the stock
 * pusher-js runs in {@link NodePusherClient}): subscribes with the auth a backend's auth endpoint would make,
 * its HMAC computed here, independently of pushgate's code, and sends client events.
 */
public final class PusherSocket implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final WsTestClient socket;
    private final String key;
    private final String secret;
    private final String socketId;

    private PusherSocket(WsTestClient socket, String key, String secret) {
        this.socket = socket;
        this.key = key;
        this.secret = secret;
        JsonNode established = socket.next(f -> "pusher:connection_established".equals(f.path("event").asString(null)));
        this.socketId = JSON.readTree(established.path("data").asString()).path("socket_id").asString();
    }

    /** Connects to {@code /app/<key>} on the port and waits for {@code pusher:connection_established}. */
    public static PusherSocket connect(int port, String key, String secret) {
        return new PusherSocket(WsTestClient.connect(URI.create("ws://127.0.0.1:" + port + "/app/" + key + "?protocol=7")), key, secret);
    }

    public String socketId() {
        return socketId;
    }

    /** Subscribes to a public or private channel and waits until it succeeded. */
    public PusherSocket subscribe(String channel) {
        String auth = channel.startsWith("private-") ? ",\"auth\":\"" + auth(socketId + ":" + channel) + "\"" : "";
        socket.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + channel + "\"" + auth + "}}");
        return subscribed(channel);
    }

    /** Subscribes to a presence channel as {@code userId} and waits until it succeeded. */
    public PusherSocket join(String channel, String userId) {
        String channelData = JSON.writeValueAsString(java.util.Map.of("user_id", userId));
        socket.send(JSON.writeValueAsString(java.util.Map.of("event", "pusher:subscribe", "data", java.util.Map.of(
                "channel", channel, "auth", auth(socketId + ":" + channel + ":" + channelData), "channel_data", channelData))));
        return subscribed(channel);
    }

    public PusherSocket unsubscribe(String channel) {
        socket.send("{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":\"" + channel + "\"}}");
        return this;
    }

    /** Sends a client event with {@code dataJson} as the frame's {@code data}, as pusher-js's {@code trigger} does. */
    public PusherSocket clientEvent(String channel, String event, String dataJson) {
        socket.send("{\"event\":\"" + event + "\",\"channel\":\"" + channel + "\",\"data\":" + dataJson + "}");
        return this;
    }

    /** The next frame with this event (skipping others). */
    public JsonNode next(String event) {
        return socket.next(f -> event.equals(f.path("event").asString(null)));
    }

    private PusherSocket subscribed(String channel) {
        socket.next(f -> "pusher_internal:subscription_succeeded".equals(f.path("event").asString(null))
                && channel.equals(f.path("channel").asString(null)));
        return this;
    }

    private String auth(String text) {
        return key + ":" + BackendRequests.hexHmac(secret, text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        socket.close();
    }
}
