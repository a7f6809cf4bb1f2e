package io.pushgate.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemErrors;
import io.pushgate.core.Broker;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.web.JsonBodies;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;

import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The publish stream, {@code GET /api/v1/stream}: a WebSocket on which a backend sends publishes, one a
 * frame, and gets one answer frame for each, in the order it sent them.
 *
 * <p>One home for the rules: a frame is read exactly as the body of {@code POST /api/v1/messages}
 * ({@link JsonBodies#parse}, {@link PublishRequests#one}), published through the same {@link Broker},
 * answered with the same fields ({@link MessagesController#answer}) or the same problem
 * ({@link ProblemErrors#problem}), and counted against the key's rate ({@link ApiRateLimits}) like one
 * request. The only member a frame adds is {@code ref}, taken out before the body is read and echoed in
 * the answer.
 *
 * <p>Guarantees:
 * <ul>
 * <li>one answer per frame, in the order the frames arrived, whatever order the publishes finish in;</li>
 * <li>at most {@code maxInFlight} publishes of a stream are read and not yet answered: past that no more
 * is asked of the connection, so Reactor Netty stops reading it (and TCP pushes back on the sender); a
 * sender that does not read its answers stops its own stream the same way. Nothing queues without bound;</li>
 * <li>a bad frame (not JSON, a bad publish, over the body limit) gets an error answer and the stream stays
 * open; only a frame over the WebSocket decoder's hard limit ({@link #hardFrameLimit}) closes it (1002, Reactor
 * Netty's protocol error);</li>
 * <li>nothing here blocks: every step runs on the connection's event loop or completes there from the
 * broker's thread;</li>
 * <li>the key is never held here, only its id.</li>
 * </ul>
 */
final class PublishStream {

    static final String PATH = "/api/v1/stream";

    /**
     * The handler that joins a stream's flushes. Every answer is flushed on its own by Reactor Netty; with
     * 32 publishes in flight most answers are written while frames are being read, and a write system call
     * each would cost more than the publish itself. Flushes during a read are held to its end; others are
     * done by a task on the event loop, so an answer is never held past the current loop iteration.
     */
    static final String FLUSHES = "pushgate.streamFlushes";

    /** What the stream needs of the broker: its publish, and nothing else. */
    private final Function<List<Publication>, Mono<List<PublishResult>>> publish;
    private final JsonBodies bodies;
    private final PublishRequests requests;
    private final ApiRateLimits limits;
    private final JsonMapper mapper;
    private final int maxInFlight;
    /**
     * Signalled at shutdown: every stream stops reading, answers what it has read, and closes with 1001.
     * A new one after {@link #reopen}, for the streams opened then.
     */
    private volatile Sinks.Empty<Void> draining = Sinks.empty();
    private volatile boolean drained;
    private int open;

    PublishStream(Function<List<Publication>, Mono<List<PublishResult>>> publish, JsonBodies bodies, PublishRequests requests, ApiRateLimits limits, JsonMapper mapper,
                  int maxInFlight) {
        this.publish = publish;
        this.bodies = bodies;
        this.requests = requests;
        this.limits = limits;
        this.mapper = mapper;
        this.maxInFlight = Math.max(1, maxInFlight);
    }

    /**
     * The largest frame the WebSocket decoder passes on: twice the body limit (at least 64 KiB), so a frame
     * somewhat over the limit is still read and answered {@code body-too-large} like an HTTP body, while the
     * memory a stream can hold stays bounded by the configuration.
     */
    static int hardFrameLimit(int maxBodyBytes) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(2L * maxBodyBytes, 65536L));
    }

    /** Whether the node is shutting down; a new stream is then refused with 503 {@code shutting-down}. */
    boolean draining() {
        return drained;
    }

    /**
     * Serves one stream for the API key whose id is {@code keyId}, until the client or the server closes it.
     *
     * @param channel the connection's Netty channel, when at hand: its flushes are then consolidated, see
     *                {@link #FLUSHES}
     */
    Mono<Void> serve(WebSocketSession session, String keyId, @Nullable Channel channel) {
        synchronized (this) {
            open++;
        }
        if (channel != null && channel.pipeline().get(FLUSHES) == null) {
            // at the head, so it sees every flush and every read; answers written while the client's frames
            // are being read go out in one write when the read ends, not one system call each
            channel.pipeline().addFirst(FLUSHES, new FlushConsolidationHandler(
                    FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
        Flux<byte[]> frames = untilDrained(session.receive()
                .filter(message -> message.getType() == WebSocketMessage.Type.TEXT
                        || message.getType() == WebSocketMessage.Type.BINARY)
                // the payload is copied out at once: Spring releases the frame after this returns
                .map(PublishStream::bytes));
        return session.send(answers(frames, keyId).map(session::textMessage))
                .then(Mono.defer(() -> drained ? session.close(CloseStatus.GOING_AWAY) : Mono.empty()))
                .doFinally(signal -> closed());
    }

    /**
     * The answer to each frame, in frame order. Demand is what bounds the stream: at most
     * {@code maxInFlight} frames are asked of {@code frames} beyond the answers taken downstream, and
     * Reactor Netty reads the connection only while a frame is asked for (auto-read follows demand).
     */
    Flux<String> answers(Flux<byte[]> frames, String keyId) {
        return frames.flatMapSequential(frame -> answer(frame, keyId), maxInFlight, 1);
    }

    /**
     * The frames, ending when the node drains. Ending them must not cancel the connection's inbound: Reactor
     * Netty answers that cancel with a close frame of its own, at once, ahead of the answers still to be
     * written. So the inbound stays subscribed: frames arriving after the drain (or asked for and not yet
     * delivered) are read and dropped, never published, so that the client's close handshake is still read.
     */
    private Flux<byte[]> untilDrained(Flux<byte[]> inbound) {
        Mono<Void> drain = draining.asMono();
        return Flux.create(sink -> {
            var upstream = new BaseSubscriber<byte[]>() {
                volatile boolean stopped;

                @Override
                protected void hookOnSubscribe(Subscription subscription) {
                    // asks only for what the sink is asked for: the demand bound of answers() reaches the socket
                }

                @Override
                protected void hookOnNext(byte[] frame) {
                    if (!stopped) {
                        sink.next(frame);
                    }
                }

                @Override
                protected void hookOnComplete() {
                    sink.complete();
                }

                @Override
                protected void hookOnError(Throwable error) {
                    sink.error(error);
                }
            };
            sink.onCancel(upstream::dispose); // the stream ended otherwise: the inbound goes with it
            inbound.subscribe(upstream); // first: a request before the subscription would be lost
            sink.onRequest(n -> { // called at once with what is already asked for, then with each request
                if (!upstream.stopped) {
                    upstream.request(n);
                }
            });
            Disposable stop = drain.subscribe(null, null, () -> {
                upstream.stopped = true;
                sink.complete();
                upstream.requestUnbounded(); // read on, dropping, up to the client's close frame
            });
            sink.onDispose(stop);
        });
    }

    private synchronized void closed() {
        open--;
        notifyAll();
    }

    /**
     * At shutdown: streams stop reading, answer the publishes they have read, and close with 1001; waits for
     * them up to {@code graceMillis}.
     */
    void drain(long graceMillis) {
        drained = true;
        draining.tryEmitEmpty();
        long deadline = System.currentTimeMillis() + graceMillis;
        synchronized (this) {
            long left;
            while (open > 0 && (left = deadline - System.currentTimeMillis()) > 0) {
                try {
                    wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** After a {@link #drain}, should the context start again (tests' context cache). */
    void reopen() {
        if (drained) {
            draining = Sinks.empty();
            drained = false;
        }
    }

    private static byte[] bytes(WebSocketMessage message) {
        var buffer = message.getPayload();
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.read(bytes);
        return bytes;
    }

    /** The answer frame to one publish frame. Never fails: every refusal is an error answer. */
    Mono<String> answer(byte[] frame, String keyId) {
        // every frame counts as one request, before it is read, as every HTTP request does
        long retryAfter = limits.retryAfterSeconds(keyId);
        if (retryAfter > 0) {
            return Mono.just(error(refOf(frame), ApiRateLimits.RATE_LIMITED, retryAfter));
        }
        JsonNode ref = null;
        List<Publication> publications;
        try {
            JsonNode body = bodies.parse(frame);
            if (body instanceof ObjectNode object && object.has(REF)) {
                ref = object.remove(REF);
                if (!ref.isString() && !ref.isNumber()) {
                    ref = null;
                    throw ApiException.badRequest("'ref' must be a string or a number");
                }
            }
            // the Idempotency-Key header is refused at the upgrade: each frame names its own idempotencyKey
            publications = requests.one(body, null);
        } catch (RuntimeException e) {
            return Mono.just(error(ref != null ? ref : refOf(frame), ProblemErrors.problem(e), 0));
        }
        JsonNode answered = ref;
        // deferred: a broker that threw instead of failing its Mono still gets an error answer, not a dead stream
        return Mono.defer(() -> publish.apply(publications))
                .map(results -> ok(answered, mapper.writeValueAsString(MessagesController.answer(results.get(0)))))
                .onErrorResume(e -> Mono.just(error(answered, ProblemErrors.problem(e), 0)));
    }

    static final String REF = "ref";

    /** {@code {"ref":…,"ok":true,<the HTTP answer's members>}}; the answer's members are spliced in as written. */
    private String ok(@Nullable JsonNode ref, String published) {
        StringBuilder out = new StringBuilder(published.length() + 32).append('{');
        if (ref != null) {
            out.append("\"ref\":").append(mapper.writeValueAsString(ref)).append(',');
        }
        out.append("\"ok\":true");
        if (published.length() > 2) {
            out.append(',').append(published, 1, published.length());
        } else {
            out.append('}');
        }
        return out.toString();
    }

    /** {@code {"ref":…,"ok":false,"error":<the problem the HTTP API would answer>}}. */
    private String error(@Nullable JsonNode ref, Problem problem, long retryAfterSeconds) {
        Map<String, Object> answer = new LinkedHashMap<>();
        if (ref != null) {
            answer.put(REF, ref);
        }
        answer.put("ok", false);
        Map<String, Object> body = problem.body(PATH);
        if (retryAfterSeconds > 0) {
            body.put("retryAfter", retryAfterSeconds); // what HTTP says in Retry-After: a frame has no headers
        }
        answer.put("error", body);
        return mapper.writeValueAsString(answer);
    }

    /**
     * The {@code ref} of a frame that could not be read whole (not JSON, too large): the top-level member
     * when the frame is readable as an object up to it, else {@code null}. Reads no further than that member.
     */
    @Nullable JsonNode refOf(byte[] frame) {
        try (JsonParser p = mapper.createParser(frame)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String name;
            while ((name = p.nextName()) != null) {
                JsonToken value = p.nextToken();
                if (name.equals(REF)) {
                    return switch (value) {
                        case VALUE_STRING -> mapper.getNodeFactory().stringNode(p.getString());
                        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> mapper.getNodeFactory().numberNode(p.getDecimalValue());
                        default -> null;
                    };
                }
                p.skipChildren();
            }
            return null;
        } catch (JacksonException | IllegalArgumentException e) {
            return null; // broken before any ref
        }
    }
}
