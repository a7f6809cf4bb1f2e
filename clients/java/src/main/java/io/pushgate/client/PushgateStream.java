package io.pushgate.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A publish stream ({@code GET /api/v1/stream}): one WebSocket on which publishes are sent one after
 * the other without waiting for their answers, each answered in order. For a backend that publishes a
 * lot, it costs the server a fraction of an HTTP request per publish.
 *
 * <pre>{@code
 * try (PushgateStream stream = pushgate.openStream()) {
 *     List<CompletableFuture<PublishResult>> answers = new ArrayList<>();
 *     for (Order order : orders) {
 *         answers.add(stream.publishAsync(Message.toUids(order.uid()).event("order").data(order.json())));
 *     }
 *     answers.forEach(CompletableFuture::join);
 * }
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 * <li>publishes are sent, and reach the server's broker, in the order of the calls (calls from several
 * threads are ordered by a lock); each future completes with its own answer, matched by order and
 * checked against the {@code ref} the server echoes;</li>
 * <li>a refused publish completes its future with the {@link PushgateException} the HTTP call would have
 * thrown (same status, type and detail); the stream stays open;</li>
 * <li>at most {@code maxInFlight} publishes are unanswered: {@link #publishAsync} waits (blocks the caller)
 * until an answer frees a place, so a caller faster than the server is slowed down, not buffered without
 * bound;</li>
 * <li>when the stream ends (closed by either side, or the connection lost) every unanswered future fails
 * with {@link PushgateException#CONNECTION_FAILED} and {@link PushgateException#outcomeUnknown()}: the
 * publish may or may not have been delivered. Nothing is retried here: send such publishes again, on a new
 * stream or over HTTP, with an {@link Message#idempotencyKey(String) idempotency key} when they must be
 * delivered once.</li>
 * </ul>
 *
 * <p>The answers' futures complete on the thread that reads the stream: a callback on them must not
 * block, nor publish more than once (a {@link #publishAsync} at the cap would wait for an answer that
 * thread can then never read). Use the {@code …Async} continuations with an executor for more.
 */
public final class PushgateStream implements AutoCloseable {

    private final Semaphore places;
    private final Object lock = new Object();
    /** Sent and not answered, oldest first; guarded by {@link #lock}. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** The previous frame's send: the JDK's WebSocket takes one send at a time. Guarded by {@link #lock}. */
    private CompletableFuture<WebSocket> sending;
    private long nextRef;
    /** Why the stream ended, once it has; guarded by {@link #lock}. */
    private PushgateException ended;
    private WebSocket socket;

    private record Pending(long ref, CompletableFuture<PublishResult> answer) {
    }

    private PushgateStream(int maxInFlight) {
        this.places = new Semaphore(maxInFlight);
    }

    /** Opens a stream; called by {@link Pushgate#openStream()}. */
    static PushgateStream open(HttpClient http, URI uri, String authorization, Duration connectTimeout, int maxInFlight) {
        PushgateStream stream = new PushgateStream(maxInFlight);
        try {
            stream.socket = http.newWebSocketBuilder().connectTimeout(connectTimeout).header("Authorization", authorization)
                    .buildAsync(uri, stream.new Listener()).join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof WebSocketHandshakeException refused) {
                int status = refused.getResponse().statusCode();
                // the JDK gives the status, not the problem's body: 401 is a wrong key, 503 a node shutting down
                throw new PushgateException(status, "urn:pushgate:client:stream-refused",
                        "the server refused to open the publish stream (HTTP " + status + ")", false, cause);
            }
            throw new PushgateException(0, PushgateException.CONNECTION_FAILED,
                    "could not open the publish stream at " + uri + ": " + cause.getMessage(), false, cause);
        }
        synchronized (stream.lock) {
            stream.sending = CompletableFuture.completedFuture(stream.socket);
        }
        return stream;
    }

    /** Publishes and waits for the answer; throws what {@link Pushgate#publish(Message)} would. */
    public PublishResult publish(Message message) {
        try {
            return publishAsync(message).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof PushgateException p) {
                throw p;
            }
            throw e;
        }
    }

    /**
     * Sends the publish now and returns its answer's future. Blocks while {@code maxInFlight} publishes are
     * unanswered. The message's idempotency key, if any, travels in the frame.
     */
    public CompletableFuture<PublishResult> publishAsync(Message message) {
        Map<String, Object> body = message.toJson(true);
        try {
            places.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new PushgateException(0, PushgateException.CONNECTION_FAILED,
                    "interrupted while waiting for a place in the publish stream", false, e));
        }
        CompletableFuture<PublishResult> answer = new CompletableFuture<>();
        synchronized (lock) {
            if (ended != null) {
                places.release();
                answer.completeExceptionally(new PushgateException(0, PushgateException.CONNECTION_FAILED,
                        "the publish stream is closed: " + ended.detail(), false, ended));
                return answer;
            }
            long ref = nextRef++;
            Map<String, Object> frame = new LinkedHashMap<>();
            frame.put("ref", ref);
            frame.putAll(body);
            String text = Json.write(frame);
            pending.add(new Pending(ref, answer));
            sending = sending.thenCompose(ws -> ws.sendText(text, true));
            sending.exceptionally(e -> {
                end(new PushgateException(0, PushgateException.CONNECTION_FAILED, "sending failed: " + e.getMessage(), true, e));
                return null;
            });
        }
        return answer;
    }

    /** Publishes sent and not answered yet. */
    public int inFlight() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /**
     * Closes the stream after the publishes sent so far are answered (waits up to 10 s for them), then
     * fails whatever is still unanswered.
     */
    @Override
    public void close() {
        CompletableFuture<?>[] waiting;
        synchronized (lock) {
            waiting = pending.stream().map(Pending::answer).toArray(CompletableFuture[]::new);
        }
        try {
            CompletableFuture.allOf(waiting).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // failed answers are the callers' to see; a stuck one is failed below
        }
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            // already gone
        }
        socket.abort();
        end(new PushgateException(0, PushgateException.CONNECTION_FAILED, "the publish stream was closed", true, null));
    }

    /** Fails every unanswered publish with {@code why}, once. */
    private void end(PushgateException why) {
        ArrayDeque<Pending> failed;
        synchronized (lock) {
            if (ended != null) {
                return;
            }
            ended = why;
            failed = new ArrayDeque<>(pending);
            pending.clear();
        }
        failed.forEach(p -> {
            places.release();
            p.answer().completeExceptionally(why);
        });
    }

    private void answered(String text) {
        Pending head;
        synchronized (lock) {
            head = pending.poll();
        }
        if (head == null) {
            end(new PushgateException(0, "urn:pushgate:client:malformed-answer", "an answer came with no publish pending: " + text, true, null));
            return;
        }
        // the place is free before the future completes: a callback that publishes once finds it
        places.release();
        Map<?, ?> answer;
        try {
            answer = Json.read(text) instanceof Map<?, ?> map ? map : null;
        } catch (IllegalArgumentException e) {
            answer = null;
        }
        if (answer == null || !(answer.get("ref") instanceof Number ref) || ref.longValue() != head.ref()) {
            PushgateException broken = new PushgateException(0, "urn:pushgate:client:malformed-answer",
                    "the answer does not match the oldest publish (ref " + head.ref() + "): " + text, true, null);
            head.answer().completeExceptionally(broken);
            end(broken);
            socket.abort();
            return;
        }
        if (Boolean.TRUE.equals(answer.get("ok"))) {
            head.answer().complete(Pushgate.result(answer));
            return;
        }
        Map<?, ?> problem = answer.get("error") instanceof Map<?, ?> m ? m : Map.of();
        int status = problem.get("status") instanceof Number n ? n.intValue() : 0;
        Object detail = problem.get("detail") != null ? problem.get("detail") : problem.get("title");
        head.answer().completeExceptionally(new PushgateException(status, String.valueOf(problem.get("type")),
                detail == null ? "" : detail.toString(), "unknown".equals(problem.get("outcome")), null));
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
                String text = partial.toString();
                partial.setLength(0);
                answered(text);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            end(new PushgateException(0, PushgateException.CONNECTION_FAILED,
                    "the server closed the publish stream (" + statusCode + (reason.isEmpty() ? "" : " " + reason) + ")", true, null));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            end(new PushgateException(0, PushgateException.CONNECTION_FAILED,
                    "the publish stream broke: " + error.getMessage(), true, error));
        }
    }
}
