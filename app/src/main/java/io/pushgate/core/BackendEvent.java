package io.pushgate.core;

import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * One thing the backend hears of (GatewayWorker's {@code onConnect}, {@code onMessage}, {@code onClose}):
 * a session opened, closed, joined or left a group, or said something ({@code send}); a uid came online
 * (its first session anywhere in the cluster) or went offline (its last).
 *
 * @param id        unique in the cluster and kept across retries, so the backend can drop a repeat
 * @param ts        when it happened, epoch ms
 * @param transport the session's transport ({@code websocket}, {@code sse}, {@code long-poll}, {@code socket.io}, …), or {@code null} when the
 *                  session is on another node (an {@code offline} told for a node that died)
 * @param session   the session's data (a JSON object's text), or {@code null} for none
 * @param group     for {@code join} and {@code leave}
 * @param event     for {@code message}: the client's event name
 * @param data      for {@code message}: the client's data as JSON text, exactly as sent
 * @param code      for {@code disconnect}: the close code, the server's when it ended the session, else the
 *                  client's own close frame's; 1005 when there was none (the network or an HTTP stream ended)
 * @param reason    for {@code disconnect}: the close reason
 */
public record BackendEvent(String id, Type type, String uid, String clientId, String node, long ts,
                           @Nullable String transport, @Nullable String session, @Nullable String group,
                           @Nullable String event, @Nullable String data, int code, @Nullable String reason) {

    /** The event types, named on the wire by {@link #wireName()}. */
    public enum Type {
        CONNECT, DISCONNECT, JOIN, LEAVE, MESSAGE, ONLINE, OFFLINE;

        private final String wire = name().toLowerCase(Locale.ROOT);

        public String wireName() {
            return wire;
        }

        /** @throws IllegalArgumentException for a name that is no type */
        public static Type ofWireName(String name) {
            for (Type type : values()) {
                if (type.wire.equals(name)) {
                    return type;
                }
            }
            throw new IllegalArgumentException("no event type '" + name + "'; known: connect, disconnect, join, leave, message, online, offline");
        }
    }

    /** The close code told when the server did not end the session: the client or the network did. */
    public static final int CLOSED_BY_CLIENT = 1005;
}
