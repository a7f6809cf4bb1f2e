package io.pushgate.core;

import java.nio.charset.StandardCharsets;

/**
 * A position in a node's publish sequence: every publish takes the next {@code seq}, and a message's id
 * is the cursor just after it. Because one sequence orders every stream, one cursor names a position in
 * all the streams a session reads, and it fits a {@code Last-Event-ID} header.
 *
 * <p>Text form: {@code <epoch>-<seq base36>-<ts base36>}, for example {@code k2v9q-1b-mbx1c9k0}. The
 * epoch changes when the history is lost (an in-memory node restarted), which turns every older
 * cursor into a reset rather than a silent gap. Clients treat the text as opaque.
 *
 * @param epoch the history's identity
 * @param seq   the last publish the holder has seen
 * @param ts    when the holder was known to be up to date with {@code seq} (epoch ms): the publish time
 *              for a message id, the time it was handed out for any other cursor (welcome, reset, an
 *              empty poll answer); it bounds how old the cursor is
 */
public record Cursor(String epoch, long seq, long ts) {

    private static final int MAX_TEXT = 64;

    public Cursor {
        if (epoch.isEmpty() || epoch.indexOf('-') >= 0 || seq < 0 || ts < 0) {
            throw new IllegalArgumentException("invalid cursor");
        }
    }

    public String text() {
        return text(epoch, seq, ts);
    }

    /**
     * {@code epoch-seq-ts}, the numbers in base 36: written into one array of the exact length. Every publish
     * makes one (its id); {@code Long.toString(n, 36)} takes a 65-byte scratch array per call besides its
     * result, so the concatenation allocated about 330 bytes, a quarter of a uid push's allocation.
     */
    static String text(String epoch, long seq, long ts) {
        int e = epoch.length();
        for (int i = 0; i < e; i++) {
            if (epoch.charAt(i) >= 0x80) { // never from this server; kept exact for any other text
                return epoch + "-" + Long.toString(seq, 36) + "-" + Long.toString(ts, 36);
            }
        }
        int sd = digits(seq);
        int td = digits(ts);
        byte[] b = new byte[e + 1 + sd + 1 + td];
        for (int i = 0; i < e; i++) {
            b[i] = (byte) epoch.charAt(i);
        }
        b[e] = '-';
        write(seq, b, e + 1 + sd);
        b[e + 1 + sd] = '-';
        write(ts, b, b.length);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static int digits(long n) {
        int d = 1;
        while (n >= 36) {
            n /= 36;
            d++;
        }
        return d;
    }

    /** Writes non-negative {@code n} in base 36, lower case, ending just before {@code end}. */
    private static void write(long n, byte[] b, int end) {
        int at = end;
        do {
            int digit = (int) (n % 36);
            b[--at] = (byte) (digit < 10 ? '0' + digit : 'a' + digit - 10);
            n /= 36;
        } while (n > 0);
    }

    /** @throws IllegalArgumentException with a message fit for a 400 answer */
    public static Cursor parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT) {
            throw new IllegalArgumentException("cursor is malformed");
        }
        String[] parts = text.split("-", -1);
        if (parts.length != 3 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("cursor is malformed");
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 13) {
                throw new IllegalArgumentException("cursor is malformed");
            }
            for (char c : part.toCharArray()) {
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
                    throw new IllegalArgumentException("cursor is malformed");
                }
            }
        }
        try {
            return new Cursor(parts[0], Long.parseLong(parts[1], 36), Long.parseLong(parts[2], 36));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cursor is malformed");
        }
    }

    @Override
    public String toString() {
        return text();
    }
}
