package io.pushgate.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A browser's side in the tests: a WebSocket session on {@code /ws} whose frames are read in order. */
public final class WsClient implements AutoCloseable {

    private final BlockingQueue<Map<String, Object>> frames = new LinkedBlockingQueue<>();
    public final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final WebSocket socket;
    public final Map<String, Object> welcome;

    private WsClient(URI uri) throws Exception {
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(uri, new Listener()).get(10, TimeUnit.SECONDS);
        this.welcome = next("welcome");
    }

    public static WsClient connect(int port, String token) throws Exception {
        return new WsClient(URI.create("ws://localhost:" + port + "/ws?token=" + token));
    }

    public String clientId() {
        return (String) welcome.get("clientId");
    }

    /** The next frame of this type, skipping others (pings, acks); fails after 10 s. */
    public Map<String, Object> next(String type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Map<String, Object> frame = frames.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (frame == null) {
                throw new AssertionError("no '" + type + "' frame within 10 s");
            }
            if (type.equals(frame.get("type"))) {
                return frame;
            }
        }
    }

    public Map<String, Object> nextMessage() throws InterruptedException {
        return next("message");
    }

    @Override
    public void close() {
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        @SuppressWarnings("unchecked")
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add((Map<String, Object>) Json.read(partial.toString()));
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode.completeExceptionally(error);
        }
    }
}
