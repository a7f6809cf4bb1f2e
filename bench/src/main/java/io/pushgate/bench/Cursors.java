package io.pushgate.bench;

import java.nio.charset.StandardCharsets;

/**
 * The server's cursors as the soak reads them: {@code <epoch>-<seq base36>-<ts base36>}, where one
 * sequence orders every stream of a node and {@code ts} is epoch ms. Found in frames without a JSON parse.
 */
final class Cursors {

    static final byte[] ID = "\"id\":\"".getBytes(StandardCharsets.US_ASCII);
    static final byte[] CURSOR = "\"cursor\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TO = "\"to\":{\"".getBytes(StandardCharsets.US_ASCII);

    private Cursors() {
    }

    /** The string value after {@code key} (which ends with the opening quote), or null. */
    static String string(byte[] buf, int from, int to, byte[] key) {
        int at = Payload.indexOf(buf, from, to, key);
        if (at < 0) {
            return null;
        }
        int start = at + key.length;
        int end = start;
        while (end < to && buf[end] != '"') {
            end++;
        }
        return end < to ? new String(buf, start, end - start, StandardCharsets.US_ASCII) : null;
    }

    /** The sequence number of a cursor, or -1. */
    static long seq(String cursor) {
        return part(cursor, 1);
    }

    /** The time of a cursor (epoch ms), or -1. */
    static long ts(String cursor) {
        return part(cursor, 2);
    }

    private static long part(String cursor, int n) {
        if (cursor == null) {
            return -1;
        }
        int a = cursor.indexOf('-');
        int b = a < 0 ? -1 : cursor.indexOf('-', a + 1);
        if (b < 0) {
            return -1;
        }
        try {
            return n == 1 ? Long.parseLong(cursor, a + 1, b, 36) : Long.parseLong(cursor, b + 1, cursor.length(), 36);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The stream a message frame came on: 0 uid, 1 group, 2 all, -1 another or none. */
    static int stream(byte[] buf, int from, int to) {
        int at = Payload.indexOf(buf, from, to, TO);
        if (at < 0 || at + TO.length >= to) {
            return -1;
        }
        return switch (buf[at + TO.length]) {
            case 'u' -> 0;
            case 'g' -> 1;
            case 'a' -> 2;
            default -> -1;
        };
    }
}
