package io.pushgate.bench;

import java.nio.charset.StandardCharsets;

/**
 * What a Pusher (protocol 7) client of the bench reads and writes. The server writes every frame as
 * {@code {"event":"<name>",…}} with {@code event} first, so a frame is told by its prefix alone, without a
 * JSON parse: {@code pusher:} and {@code pusher_internal:} events are the protocol's, any other is a message
 * (its payload then read by {@link Payload#decodePusher}).
 */
final class PusherFrames {

    /** What {@link #kind} found. */
    enum Kind { MESSAGE, ESTABLISHED, SUBSCRIBED, PING, ERROR, OTHER }

    private static final byte[] PROTOCOL = "{\"event\":\"pusher".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ESTABLISHED = "{\"event\":\"pusher:connection_established\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUBSCRIBED = "{\"event\":\"pusher_internal:subscription_succeeded\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PING = "{\"event\":\"pusher:ping\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR = "{\"event\":\"pusher:error\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUBSCRIPTION_ERROR = "{\"event\":\"pusher:subscription_error\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "{\"event\":\"".getBytes(StandardCharsets.US_ASCII);

    /** The answer to {@code pusher:ping}: without it the server closes a silent connection (4201). */
    static final byte[] PONG = "{\"event\":\"pusher:pong\",\"data\":{}}".getBytes(StandardCharsets.US_ASCII);

    private PusherFrames() {
    }

    static Kind kind(byte[] buf, int from, int to) {
        if (!startsWith(buf, from, to, PROTOCOL)) {
            return startsWith(buf, from, to, EVENT) ? Kind.MESSAGE : Kind.OTHER;
        }
        if (startsWith(buf, from, to, ESTABLISHED)) {
            return Kind.ESTABLISHED;
        }
        if (startsWith(buf, from, to, SUBSCRIBED)) {
            return Kind.SUBSCRIBED;
        }
        if (startsWith(buf, from, to, PING)) {
            return Kind.PING;
        }
        if (startsWith(buf, from, to, ERROR) || startsWith(buf, from, to, SUBSCRIPTION_ERROR)) {
            return Kind.ERROR;
        }
        return Kind.OTHER;
    }

    /**
     * {@code pusher:subscribe} to a public channel, as pusher-js sends it. The bench's channel names are its
     * own ({@code --channel}, {@code g<n>}), so they are written as they are; one with a quote or a backslash
     * is refused rather than escaped.
     */
    static String subscribe(String channel) {
        for (int i = 0; i < channel.length(); i++) {
            char c = channel.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20) {
                throw new IllegalArgumentException("channel name needs no JSON escape: " + channel);
            }
        }
        return "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + channel + "\"}}";
    }

    /** The Pusher WebSocket path of app {@code key}: {@code /app/<key>?protocol=7&client=…&version=…}. */
    static String path(String key) {
        return "/app/" + key + "?protocol=7&client=pushgate-bench&version=1";
    }

    static boolean startsWith(byte[] buf, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
