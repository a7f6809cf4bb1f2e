package io.pushgate.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real WebSocket client for tests (the JDK's), recording every text frame and the close it gets.
 * It answers server ping frames by itself, as browsers do; {@link #stopReading()} makes it stop taking
 * frames off the socket, like a stalled client.
 */
public final class WsTestClient implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private volatile boolean reading = true;
    private WebSocket socket;
    private String subprotocol = "";

    /** The code and reason the server closed with; 1006 when the connection just dropped. */
    public record Close(int code, String reason) {
    }

    private WsTestClient() {
    }

    public static WsTestClient connect(URI uri) {
        return connect(uri, Map.of(), List.of());
    }

    /**
     * Opens a connection and waits for the handshake.
     *
     * @throws HandshakeRefused when the server answers the upgrade with an HTTP status
     */
    public static WsTestClient connect(URI uri, Map<String, String> headers, List<String> subprotocols) {
        return connect(HTTP, uri, headers, subprotocols);
    }

    /** As {@link #connect(URI, Map, List)}, with a client of the caller's (e.g. one trusting a test CA for wss). */
    public static WsTestClient connect(HttpClient http, URI uri, Map<String, String> headers, List<String> subprotocols) {
        WsTestClient client = new WsTestClient();
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(WAIT);
        headers.forEach(builder::header);
        if (!subprotocols.isEmpty()) {
            builder.subprotocols(subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
        }
        try {
            client.socket = builder.buildAsync(uri, client.new Listener()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            client.subprotocol = client.socket.getSubprotocol();
            return client;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                throw new HandshakeRefused(refused.getResponse().statusCode(), String.valueOf(refused.getResponse().body()));
            }
            throw new IllegalStateException("connect failed", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("connect failed", e);
        }
    }

    /** The upgrade was answered with an HTTP status instead of 101. */
    public static final class HandshakeRefused extends RuntimeException {
        public final int status;
        public final String body;

        HandshakeRefused(int status, String body) {
            super("handshake refused with HTTP " + status);
            this.status = status;
            this.body = body;
        }
    }

    public String subprotocol() {
        return subprotocol;
    }

    public WsTestClient send(String text) {
        socket.sendText(text, true).join();
        return this;
    }

    public WsTestClient sendJson(Map<String, ?> frame) {
        return send(JSON.writeValueAsString(frame));
    }

    /** The next text frame as JSON, failing the test after {@link #WAIT}. */
    public JsonNode next() {
        try {
            String text = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (text == null) {
                throw new AssertionError("no frame within " + WAIT + (closed.isDone() ? "; closed " + closed.join() : "")
                        + "; " + ThreadDump.print("no WebSocket frame"));
            }
            return JSON.readTree(text);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Skips frames until one matches, failing after {@link #WAIT}. */
    public JsonNode next(Predicate<JsonNode> wanted) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> skipped = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            try {
                String text = frames.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                if (text == null) {
                    break;
                }
                JsonNode node = JSON.readTree(text);
                if (wanted.test(node)) {
                    return node;
                }
                skipped.add(text);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no matching frame within " + WAIT + "; skipped " + skipped + "; "
                + ThreadDump.print("no matching WebSocket frame"));
    }

    /** The next text frame containing {@code fragment}, as the server wrote it (not parsed), failing after {@link #WAIT}. */
    public String nextText(String fragment) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> skipped = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            try {
                String text = frames.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                if (text == null) {
                    break;
                }
                if (text.contains(fragment)) {
                    return text;
                }
                skipped.add(text);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no frame containing " + fragment + " within " + WAIT + "; skipped " + skipped);
    }

    public JsonNode nextOfType(String type) {
        return next(f -> type.equals(f.path("type").asString()));
    }

    /** The next message frame, skipping heartbeats and replies. */
    public JsonNode nextMessage() {
        return nextOfType("message");
    }

    /** Frames received and not yet taken. */
    public List<JsonNode> drain() {
        List<String> texts = new ArrayList<>();
        frames.drainTo(texts);
        return texts.stream().map(JSON::readTree).toList();
    }

    public Close awaitClose() {
        try {
            return closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("not closed within " + WAIT, e);
        }
    }

    /** Starts the close handshake, as a browser's {@code close()} does, and waits for the server's answer to it. */
    public Close closeHandshake() {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        return awaitClose();
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** Stops requesting frames: the socket is no longer read, and the server's writes back up. */
    public void stopReading() {
        reading = false;
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            try {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException | CompletionException e) {
                // already gone
            }
            socket.abort();
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            if (reading) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            if (reading) {
                webSocket.request(1);
            }
            return null; // the JDK answers with a pong by itself
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Close(1006, String.valueOf(error.getMessage())));
        }
    }
}
