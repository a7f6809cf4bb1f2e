package io.pushgate.bench;

import java.nio.charset.StandardCharsets;

/**
 * The {@code data} of every publish: {@code {"g":<generator>,"s":<sequence>,"t":<send time, epoch µs>,"p":"xx…"}},
 * padded with {@code p} to the requested size. Received frames are scanned for these three numbers
 * without a JSON parse: after {@code "data":}, the keys {@code "g":}, {@code "s":} and {@code "t":}. A
 * Pusher message carries the same JSON as a string ({@code "data":"{\"g\":…}"}), so there the scan looks
 * for the escaped keys after {@code "data":"} ({@link #decodePusher}); the payload has no other character
 * JSON escapes (digits and {@code x}), so the escaped text is the payload with each quote preceded by a
 * backslash.
 */
final class Payload {

    private static final byte[] DATA = "\"data\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] G = "\"g\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] S = "\"s\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] T = "\"t\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUSHER_DATA = "\"data\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUSHER_G = "\\\"g\\\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUSHER_S = "\\\"s\\\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUSHER_T = "\\\"t\\\":".getBytes(StandardCharsets.US_ASCII);

    private Payload() {
    }

    /** The data JSON, at least {@code size} bytes long (longer only when the numbers alone exceed it). */
    static String encode(long generator, long seq, long sentMicros, int size) {
        StringBuilder b = new StringBuilder(Math.max(size, 64) + 8);
        b.append("{\"g\":").append(generator).append(",\"s\":").append(seq).append(",\"t\":").append(sentMicros)
                .append(",\"p\":\"");
        int pad = size - b.length() - 2;
        for (int i = 0; i < pad; i++) {
            b.append('x');
        }
        return b.append("\"}").toString();
    }

    /** What {@link #decode} found. */
    static final class Decoded {
        long generator;
        long seq;
        long sentMicros;
    }

    /** Finds generator, sequence and send time in a message frame (WS text, or SSE {@code data:} line). */
    static boolean decode(byte[] buf, int from, int to, Decoded out) {
        return decode(buf, from, to, out, DATA, G, S, T);
    }

    /**
     * Finds generator, sequence and send time in a Pusher message frame,
     * {@code {"event":…,"channel":…,"data":"{\"g\":1,\"s\":2,\"t\":3,…}"}}: the payload as a JSON string.
     */
    static boolean decodePusher(byte[] buf, int from, int to, Decoded out) {
        return decode(buf, from, to, out, PUSHER_DATA, PUSHER_G, PUSHER_S, PUSHER_T);
    }

    private static boolean decode(byte[] buf, int from, int to, Decoded out, byte[] dataKey, byte[] gKey, byte[] sKey,
                                  byte[] tKey) {
        int data = indexOf(buf, from, to, dataKey);
        if (data < 0) {
            return false;
        }
        int start = data + dataKey.length;
        long g = numberAfter(buf, start, to, gKey);
        long s = numberAfter(buf, start, to, sKey);
        long t = numberAfter(buf, start, to, tKey);
        if (g < 0 || s < 0 || t < 0) {
            return false;
        }
        out.generator = g;
        out.seq = s;
        out.sentMicros = t;
        return true;
    }

    private static long numberAfter(byte[] buf, int from, int to, byte[] key) {
        int at = indexOf(buf, from, to, key);
        if (at < 0) {
            return -1;
        }
        int i = at + key.length;
        long v = 0;
        boolean any = false;
        while (i < to && buf[i] >= '0' && buf[i] <= '9') {
            v = v * 10 + (buf[i++] - '0');
            any = true;
        }
        return any ? v : -1;
    }

    static int indexOf(byte[] buf, int from, int to, byte[] needle) {
        int last = to - needle.length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
