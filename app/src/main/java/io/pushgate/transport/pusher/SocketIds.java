package io.pushgate.transport.pusher;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

/**
 * A Pusher {@code socket_id} is a pushgate client id written as Pusher writes socket ids, {@code \d+\.\d+}
 * (the SDKs check that form): the node id's UTF-8 bytes as one decimal number, a dot, and the node's
 * counter (base 36 in the client id) in decimal. Derived both ways, so any node turns a socket id from
 * anywhere in the cluster back into its client id without a table.
 */
public final class SocketIds {

    private SocketIds() {
    }

    /** The socket id of a client id {@code <node>-<base36 counter>}. */
    public static String of(String clientId) {
        int dash = clientId.lastIndexOf('-');
        if (dash <= 0) {
            throw new IllegalArgumentException("not a client id: " + clientId);
        }
        String node = new BigInteger(1, clientId.substring(0, dash).getBytes(StandardCharsets.UTF_8)).toString();
        return node + "." + Long.parseLong(clientId.substring(dash + 1), 36);
    }

    /** The client id of a socket id, or {@code null} when it is not one {@link #of} makes. */
    public static @Nullable String clientId(@Nullable String socketId) {
        if (socketId == null || !socketId.matches("[1-9]\\d{0,300}\\.\\d{1,18}")) {
            return null;
        }
        int dot = socketId.indexOf('.');
        byte[] bytes = new BigInteger(socketId.substring(0, dot)).toByteArray();
        int from = bytes.length > 1 && bytes[0] == 0 ? 1 : 0; // the sign byte
        try {
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8) + "-"
                    + Long.toString(Long.parseLong(socketId.substring(dot + 1)), 36);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
