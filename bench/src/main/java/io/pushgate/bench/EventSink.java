package io.pushgate.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;

/**
 * A backend for pushgate's events that does nothing but count them: one thread, one selector, plain
 * HTTP/1.1 with keep-alive. Every POST is answered 204 at once, its body's events counted by their
 * {@code "type":"…"} (the server writes {@code type} right after {@code id}); signatures are not checked.
 * {@code GET /count} answers the counts as one JSON object:
 * {@code {"events":N,"batches":B,"bytes":X,"connections":C,"connect":…,"disconnect":…,"online":…,"offline":…,"message":…,"join":…,"leave":…,"other":…}}.
 *
 * <pre>java -cp pushgate-bench.jar io.pushgate.bench.EventSink --port 18090 [--host 127.0.0.1]</pre>
 *
 * On exit (SIGTERM) it prints the same JSON to stdout.
 */
public final class EventSink {

    private static final String[] TYPES = {"connect", "disconnect", "online", "offline", "message", "join", "leave", "other"};
    private static final byte[] TYPE = "\"type\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] CRLFCRLF = {'\r', '\n', '\r', '\n'};
    private static final byte[] NO_CONTENT = "HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOT_FOUND = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Written by the selector thread only; read (racily, monotonic longs) by /count on the same thread. */
    private long events;
    private long batches;
    private long bytes;
    private long connections;
    private final long[] byType = new long[TYPES.length];

    public static void main(String[] args) throws IOException {
        String host = "127.0.0.1";
        int port = 18090;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : (i + 1 < args.length ? args[++i] : "");
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            switch (name) {
                case "--port" -> port = Integer.parseInt(v);
                case "--host" -> host = v;
                default -> {
                    System.err.println("usage: java -cp pushgate-bench.jar io.pushgate.bench.EventSink --port P [--host H]");
                    System.exit(2);
                }
            }
        }
        EventSink sink = new EventSink();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println(sink.countJson())));
        sink.serve(new InetSocketAddress(host, port));
    }

    /** The counts as one JSON object. */
    synchronized String countJson() {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"events\":").append(events).append(",\"batches\":").append(batches).append(",\"bytes\":").append(bytes)
                .append(",\"connections\":").append(connections);
        for (int i = 0; i < TYPES.length; i++) {
            b.append(",\"").append(TYPES[i]).append("\":").append(byType[i]);
        }
        return b.append('}').toString();
    }

    private void serve(InetSocketAddress address) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(address, 128);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        System.err.printf(Locale.ROOT, "event sink listening on %s%n", address);
        ByteBuffer read = ByteBuffer.allocateDirect(256 * 1024);
        while (true) {
            selector.select();
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                try {
                    if (key.isAcceptable()) {
                        SocketChannel ch = server.accept();
                        if (ch != null) {
                            ch.configureBlocking(false);
                            ch.socket().setTcpNoDelay(true);
                            ch.register(selector, SelectionKey.OP_READ, new Conn());
                            connections++;
                        }
                    } else if (key.isReadable()) {
                        onRead(key, read);
                    }
                } catch (IOException | RuntimeException e) {
                    key.cancel();
                    try {
                        key.channel().close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
        }
    }

    /** A connection's bytes not yet parsed into a whole request. */
    private static final class Conn {
        byte[] buf = new byte[16 * 1024];
        int len;

        void append(ByteBuffer b) {
            int n = b.remaining();
            if (len + n > buf.length) {
                byte[] bigger = new byte[Math.max(buf.length * 2, len + n)];
                System.arraycopy(buf, 0, bigger, 0, len);
                buf = bigger;
            }
            b.get(buf, len, n);
            len += n;
        }
    }

    private void onRead(SelectionKey key, ByteBuffer read) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        Conn c = (Conn) key.attachment();
        read.clear();
        int n = ch.read(read);
        if (n < 0) {
            key.cancel();
            ch.close();
            return;
        }
        read.flip();
        c.append(read);
        int at = 0;
        int used;
        while ((used = request(ch, c.buf, at, c.len)) > 0) {
            at += used;
        }
        if (used < 0) {
            key.cancel();
            ch.close();
            return;
        }
        if (at > 0) {
            System.arraycopy(c.buf, at, c.buf, 0, c.len - at);
            c.len -= at;
        }
    }

    /**
     * Handles one whole request at {@code buf[from, to)} and answers it.
     *
     * @return the bytes it took, 0 when it is not complete yet, -1 when it cannot be understood
     */
    private int request(SocketChannel ch, byte[] buf, int from, int to) throws IOException {
        int headEnd = Bytes.indexOf(buf, from, to, CRLFCRLF);
        if (headEnd < 0) {
            return to - from > 64 * 1024 ? -1 : 0;
        }
        int bodyStart = headEnd + 4;
        long contentLength = 0;
        boolean chunked = false;
        // header lines: find content-length and transfer-encoding without building strings per line
        int line = Bytes.indexOf(buf, from, headEnd, CRLF) + 2;
        while (line > 1 && line < headEnd) {
            int end = Bytes.indexOf(buf, line, headEnd + 2, CRLF);
            if (headerIs(buf, line, end, "content-length:")) {
                contentLength = Long.parseLong(new String(buf, line + 15, end - line - 15, StandardCharsets.US_ASCII).trim());
            } else if (headerIs(buf, line, end, "transfer-encoding:")) {
                chunked = new String(buf, line + 18, end - line - 18, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT).contains("chunked");
            }
            line = end + 2;
        }
        boolean post = buf[from] == 'P';
        int requestEnd;
        if (chunked) {
            requestEnd = chunks(buf, bodyStart, to, post);
            if (requestEnd <= 0) {
                return requestEnd;
            }
        } else {
            if (to - bodyStart < contentLength) {
                return 0;
            }
            requestEnd = bodyStart + (int) contentLength;
            if (post) {
                count(buf, bodyStart, requestEnd);
            }
        }
        if (post) {
            batches++;
            write(ch, NO_CONTENT);
        } else if (startsWith(buf, from, to, "GET /count")) {
            byte[] body = countJson().getBytes(StandardCharsets.US_ASCII);
            write(ch, ("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            write(ch, body);
        } else {
            write(ch, NOT_FOUND);
        }
        return requestEnd - from;
    }

    /** A chunked body from {@code at}: its end, 0 when not all here, -1 when malformed; counts each chunk's events. */
    private int chunks(byte[] buf, int at, int to, boolean post) {
        int i = at;
        int[] spans = new int[16];
        int nspans = 0;
        while (true) {
            int eol = Bytes.indexOf(buf, i, to, CRLF);
            if (eol < 0) {
                return 0;
            }
            int size = 0;
            for (int p = i; p < eol && buf[p] != ';'; p++) {
                int d = Character.digit(buf[p], 16);
                if (d < 0) {
                    return -1;
                }
                size = size * 16 + d;
            }
            int data = eol + 2;
            if (size == 0) {
                int end = Bytes.indexOf(buf, data - 2, to, CRLFCRLF);
                if (end < 0) {
                    return 0;
                }
                for (int s = 0; post && s < nspans; s += 2) {
                    count(buf, spans[s], spans[s + 1]);
                }
                return end + 4;
            }
            if (to - data < size + 2) {
                return 0;
            }
            if (nspans + 2 > spans.length) {
                spans = java.util.Arrays.copyOf(spans, spans.length * 2);
            }
            spans[nspans++] = data;
            spans[nspans++] = data + size;
            i = data + size + 2;
        }
    }

    /** Counts {@code "type":"…"} occurrences in the body {@code buf[from, to)}, by type. */
    private synchronized void count(byte[] buf, int from, int to) {
        bytes += to - from;
        int i = from;
        while ((i = Bytes.indexOf(buf, i, to, TYPE)) >= 0) {
            i += TYPE.length;
            int end = i;
            while (end < to && buf[end] != '"') {
                end++;
            }
            events++;
            byType[typeIndex(buf, i, end)]++;
            i = end;
        }
    }

    private static int typeIndex(byte[] buf, int from, int to) {
        for (int t = 0; t < TYPES.length - 1; t++) {
            String name = TYPES[t];
            if (to - from == name.length() && startsWith(buf, from, to, name)) {
                return t;
            }
        }
        return TYPES.length - 1;
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            if (ch.write(b) == 0) {
                Thread.onSpinWait(); // answers are tiny: a full socket buffer here means a client that stopped reading
            }
        }
    }

    private static boolean headerIs(byte[] buf, int from, int to, String lowerName) {
        if (to - from < lowerName.length()) {
            return false;
        }
        for (int i = 0; i < lowerName.length(); i++) {
            if (Character.toLowerCase(buf[from + i]) != lowerName.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWith(byte[] buf, int from, int to, String prefix) {
        if (to - from < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (buf[from + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
