package io.pushgate.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A bare WebSocket client over a plain {@link Socket}, for the clients {@link WsTestClient} cannot play:
 * one that never answers ping frames, one that sends nothing at all, and one that stops reading.
 *
 * <p>It does nothing on its own: no background thread, no automatic pong (unless
 * {@link #answerPings(boolean) told to}). Bytes are taken off the socket only while a test calls one of
 * the read methods, so between those calls it is a client that has stopped reading; with a small
 * {@link #connect(int, String, int) receive buffer} the server's writes back up quickly.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class RawWebSocket implements AutoCloseable {

    public static final Duration WAIT = WsTestClient.WAIT;

    public static final int CONTINUATION = 0x0;
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;
    /** Not a WebSocket opcode: the server closed the TCP connection without (more) frames. */
    public static final int EOF = -1;

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean answerPings;
    private boolean eof;
    private final ByteArrayOutputStream fragments = new ByteArrayOutputStream();
    private int fragmentedOpcode = -1;

    /** One frame as received; continuation frames of a text or binary message are joined into one. */
    public record Frame(int opcode, byte[] payload) {

        public boolean isText() {
            return opcode == TEXT;
        }

        public boolean isPing() {
            return opcode == PING;
        }

        public boolean isClose() {
            return opcode == CLOSE || opcode == EOF;
        }

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            return JSON.readTree(payload);
        }

        /** The close code: 1005 when a close frame carries none, 1006 when the connection just ended. */
        public int closeCode() {
            if (opcode == EOF) {
                return 1006;
            }
            if (opcode != CLOSE) {
                throw new IllegalStateException("not a close frame: opcode " + opcode);
            }
            return payload.length < 2 ? 1005 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        public String closeReason() {
            return opcode == CLOSE && payload.length > 2
                    ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }

        @Override
        public String toString() {
            return switch (opcode) {
                case TEXT -> "text " + abbreviate(text());
                case CLOSE, EOF -> "close " + closeCode() + " " + closeReason();
                case PING -> "ping";
                case PONG -> "pong";
                default -> "opcode " + opcode + " (" + payload.length + " bytes)";
            };
        }

        private static String abbreviate(String text) {
            return text.length() <= 200 ? text : text.substring(0, 200) + "…";
        }
    }

    /** The upgrade was answered with something other than 101. */
    public static final class HandshakeRefused extends RuntimeException {
        public final int status;

        HandshakeRefused(int status, String statusLine) {
            super("handshake refused: " + statusLine);
            this.status = status;
        }
    }

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code localhost:port} and upgrades {@code pathAndQuery} (e.g. {@code /ws?token=…}). */
    public static RawWebSocket connect(int port, String pathAndQuery) {
        return connect(port, pathAndQuery, 0);
    }

    /**
     * Like {@link #connect(int, String)}, with the socket's receive buffer set to {@code receiveBufferBytes}
     * (0 for the system default) before connecting, so the TCP window it advertises stays that small.
     */
    public static RawWebSocket connect(int port, String pathAndQuery, int receiveBufferBytes) {
        return open(port, receiveBufferBytes, ws -> ws.handshake("localhost:" + port, pathAndQuery));
    }

    /**
     * Connects, sends {@code before} (one whole HTTP/1.1 request, kept alive) and then upgrades
     * {@code pathAndQuery} on the same connection: after reading the first answer, or, when
     * {@code pipelined}, right behind the first request, before its answer. The first answer's status
     * line is added to {@code firstStatus}; it must come before the upgrade's.
     */
    public static RawWebSocket connectAfter(int port, String before, boolean pipelined, String pathAndQuery,
                                            List<String> firstStatus) {
        return open(port, 0, ws -> {
            ws.socket.setSoTimeout((int) WAIT.toMillis());
            if (pipelined) {
                ws.handshake("localhost:" + port, pathAndQuery, before, firstStatus); // one write: one read on the server
            } else {
                ws.out.write(before.getBytes(StandardCharsets.US_ASCII));
                ws.out.flush();
                firstStatus.add(ws.readAnswer());
                ws.handshake("localhost:" + port, pathAndQuery);
            }
        });
    }

    /** What a new connection does before it is handed out: its handshake, and anything before it. */
    private interface Opening {
        void on(RawWebSocket ws) throws IOException;
    }

    private static RawWebSocket open(int port, int receiveBufferBytes, Opening opening) {
        Socket socket = new Socket();
        try {
            if (receiveBufferBytes > 0) {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("localhost", port), (int) WAIT.toMillis());
            RawWebSocket ws = new RawWebSocket(socket);
            opening.on(ws);
            return ws;
        } catch (IOException e) {
            closeQuietly(socket);
            throw new IllegalStateException("connect failed", e);
        } catch (RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    /** Reads one whole HTTP answer with a {@code Content-Length} body; returns its status line. */
    private String readAnswer() throws IOException {
        String status = readLine();
        int length = 0;
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        in.readNBytes(length);
        return status;
    }

    private void handshake(String host, String pathAndQuery) throws IOException {
        handshake(host, pathAndQuery, "", null);
    }

    /** @param before requests written in the same write, ahead of the upgrade; their answer comes first */
    private void handshake(String host, String pathAndQuery, String before, @Nullable List<String> firstStatus)
            throws IOException {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
                + "Host: " + host + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n";
        out.write((before + request).getBytes(StandardCharsets.US_ASCII));
        out.flush();

        socket.setSoTimeout((int) WAIT.toMillis());
        if (firstStatus != null) {
            firstStatus.add(readAnswer()); // pipelined: the earlier request is answered first
        }
        List<String> lines = new ArrayList<>();
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            lines.add(line);
        }
        String statusLine = lines.isEmpty() ? "" : lines.get(0);
        String[] parts = statusLine.split(" ", 3);
        int status = parts.length > 1 && parts[1].matches("\\d{3}") ? Integer.parseInt(parts[1]) : -1;
        if (status != 101) {
            throw new HandshakeRefused(status, statusLine);
        }
        String accept = lines.stream()
                .filter(l -> l.toLowerCase(Locale.ROOT).startsWith("sec-websocket-accept:"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .findFirst().orElse(null);
        if (!expectedAccept(key).equals(accept)) {
            throw new IllegalStateException("bad Sec-WebSocket-Accept " + accept + " in " + lines);
        }
    }

    private static String expectedAccept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed during the handshake");
            }
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** When on, every ping frame read is answered with a pong at once (it is still returned). Off by default. */
    public RawWebSocket answerPings(boolean answer) {
        this.answerPings = answer;
        return this;
    }

    // ---------------------------------------------------------------- sending

    public RawWebSocket sendText(String text) {
        return send(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public RawWebSocket sendPong(byte[] payload) {
        return send(PONG, payload);
    }

    public RawWebSocket sendClose(int code, String reason) {
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + why.length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(why, 0, payload, 2, why.length);
        return send(CLOSE, payload);
    }

    /** Writes bytes as they are: for a frame cut short, or a header that announces more than follows. */
    public RawWebSocket sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException("send failed", e);
        }
        return this;
    }

    /** Sends one final, masked frame, as a client must. */
    public RawWebSocket send(int opcode, byte[] payload) {
        return send(opcode, payload, true);
    }

    /**
     * Sends one masked frame; {@code fin} false makes it the first or a middle fragment of a message,
     * whose later fragments are sent with {@link #CONTINUATION}.
     */
    public RawWebSocket send(int opcode, byte[] payload, boolean fin) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write((fin ? 0x80 : 0) | opcode);
        int length = payload.length;
        if (length < 126) {
            frame.write(0x80 | length);
        } else if (length <= 0xFFFF) {
            frame.write(0x80 | 126);
            frame.write(length >> 8);
            frame.write(length);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) length >> shift));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        frame.writeBytes(mask);
        for (int i = 0; i < length; i++) {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        try {
            out.write(frame.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException("send failed", e);
        }
        return this;
    }

    // ---------------------------------------------------------------- reading

    /**
     * The next frame, waiting at most {@code timeout} for it to start; {@code null} when none started in
     * time. A closed connection gives a frame with opcode {@link #EOF} (every call after it too).
     */
    public Frame poll(Duration timeout) {
        while (true) {
            if (eof) {
                return new Frame(EOF, new byte[0]);
            }
            Frame frame;
            try {
                frame = readFrame(timeout);
            } catch (SocketTimeoutException e) {
                return null;
            } catch (IOException e) {
                eof = true; // reset or aborted: the connection is gone
                continue;
            }
            if (frame == null) {
                continue; // a fragment of a longer message
            }
            if (frame.isPing() && answerPings) {
                sendPong(frame.payload());
            }
            return frame;
        }
    }

    /** The next frame, failing the test when none arrives within {@link #WAIT}. */
    public Frame next() {
        Frame frame = poll(WAIT);
        if (frame == null) {
            throw new AssertionError("no frame within " + WAIT + "; " + ThreadDump.print("no raw WebSocket frame"));
        }
        return frame;
    }

    /** Skips frames until a JSON text frame matches, failing after {@link #WAIT} or when the connection closes. */
    public JsonNode nextJson(Predicate<JsonNode> wanted) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Frame> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            Frame frame = left <= 0 ? null : poll(Duration.ofNanos(left));
            if (frame == null) {
                throw new AssertionError("no matching frame within " + WAIT + "; skipped " + skipped);
            }
            if (frame.isClose()) {
                throw new AssertionError("closed (" + frame + ") before a matching frame; skipped " + skipped);
            }
            if (frame.isText()) {
                JsonNode json = frame.json();
                if (wanted.test(json)) {
                    return json;
                }
            }
            skipped.add(frame);
        }
    }

    public JsonNode nextOfType(String type) {
        return nextJson(f -> type.equals(f.path("type").asString()));
    }

    /**
     * Reads until the server's close frame (or the end of the connection) and returns it, skipping every
     * other frame; fails when neither comes within {@code timeout}.
     */
    public Frame awaitClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Frame frame = left <= 0 ? null : poll(Duration.ofNanos(left));
            if (frame == null) {
                throw new AssertionError("not closed within " + timeout);
            }
            if (frame.isClose()) {
                return frame;
            }
        }
    }

    /** @return a complete frame, or {@code null} after a non-final fragment of a message */
    private Frame readFrame(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        int b0 = in.read(); // may time out: nothing of the frame is consumed yet
        if (b0 == -1) {
            eof = true;
            return new Frame(EOF, new byte[0]);
        }
        socket.setSoTimeout((int) WAIT.toMillis()); // the rest of a started frame must follow promptly
        int b1 = readByte();
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        long length = b1 & 0x7F;
        if (length == 126) {
            length = ((long) readByte() << 8) | readByte();
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | readByte();
            }
        }
        if (length > Integer.MAX_VALUE - 16) {
            throw new IOException("frame too long: " + length);
        }
        byte[] mask = null;
        if ((b1 & 0x80) != 0) { // servers must not mask, but be lenient
            mask = in.readNBytes(4);
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length != length) {
            throw new EOFException("connection closed inside a frame");
        }
        if (mask != null) {
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        if (opcode >= 0x8) { // control frames are never fragmented and may come between fragments
            return new Frame(opcode, payload);
        }
        if (!fin || opcode == CONTINUATION) {
            if (opcode != CONTINUATION) {
                fragmentedOpcode = opcode;
                fragments.reset();
            }
            fragments.writeBytes(payload);
            if (!fin) {
                return null;
            }
            Frame joined = new Frame(fragmentedOpcode, fragments.toByteArray());
            fragments.reset();
            fragmentedOpcode = -1;
            return joined;
        }
        return new Frame(opcode, payload);
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b == -1) {
            throw new EOFException("connection closed inside a frame");
        }
        return b;
    }

    /** Whether the TCP connection is still open from this side. */
    public boolean isOpen() {
        return !eof && !socket.isClosed();
    }

    /** Closes the TCP connection at once, without a close handshake. */
    @Override
    public void close() {
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
