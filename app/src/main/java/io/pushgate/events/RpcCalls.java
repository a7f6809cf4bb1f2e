package io.pushgate.events;

import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.pushgate.codec.RawJson;
import io.pushgate.core.BackendCallException;
import io.pushgate.core.BackendCalls;
import io.pushgate.core.Session;
import io.pushgate.web.Signatures;

import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

/**
 * Clients' calls to the backend: each {@code rpc} is one signed POST to {@code pushgate.events.rpc-url} of
 * {@code {"method","data","uid","clientId","node","transport","session"}}, and the backend's JSON answer
 * (any JSON value; an empty answer is {@code null}) comes back to the client as the reply's {@code data}.
 *
 * <p>Bounds: at most {@code perSession} calls of one session and {@code perNode} of the node wait at once
 * (more are refused at once with {@code rpc_busy}, never queued); each waits at most {@code timeout}
 * ({@code rpc_timeout}). An error status, an answer that is not JSON or no connection is {@code rpc_failed}.
 * Calls are never retried: the backend may have acted on one that timed out.
 */
public final class RpcCalls implements BackendCalls {

    public record Settings(String url, Duration timeout, int perSession, int perNode) {
    }

    private final Settings settings;
    private final WebClient http;
    private final Signatures signatures;
    private final JsonMapper mapper;
    private final Clock clock;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<String, AtomicInteger> bySession = new ConcurrentHashMap<>();

    public RpcCalls(Settings settings, WebClient http, Signatures signatures, JsonMapper mapper, Clock clock) {
        this.settings = settings;
        this.http = http;
        this.signatures = signatures;
        this.mapper = mapper;
        this.clock = clock;
    }

    @Override
    public Mono<String> call(Session session, String method, @Nullable String dataJson) {
        return Mono.defer(() -> {
            if (inFlight.incrementAndGet() > settings.perNode()) {
                inFlight.decrementAndGet();
                return Mono.error(busy("the node has " + settings.perNode() + " calls waiting"));
            }
            AtomicInteger mine = bySession.computeIfAbsent(session.clientId(), id -> new AtomicInteger());
            if (mine.incrementAndGet() > settings.perSession()) {
                release(session.clientId(), mine);
                return Mono.error(busy("this session has " + settings.perSession() + " calls waiting"));
            }
            byte[] body = body(session, method, dataJson);
            return http.post().uri(settings.url())
                    .contentType(MediaType.APPLICATION_JSON)
                    .header(Signatures.HEADER, signatures.sign(body, clock.instant()))
                    .bodyValue(body)
                    .retrieve()
                    .bodyToMono(byte[].class)
                    .defaultIfEmpty(new byte[0])
                    .timeout(settings.timeout())
                    .map(this::answer)
                    .onErrorMap(e -> !(e instanceof BackendCallException), RpcCalls::failed)
                    .doFinally(signal -> release(session.clientId(), mine));
        });
    }

    private void release(String clientId, AtomicInteger mine) {
        inFlight.decrementAndGet();
        if (mine.decrementAndGet() <= 0) {
            bySession.remove(clientId, mine);
        }
    }

    /** Calls waiting now, on the whole node. */
    public int inFlight() {
        return inFlight.get();
    }

    private byte[] body(Session session, String method, @Nullable String dataJson) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = mapper.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringProperty("method", method);
            g.writeName("data");
            g.writeRawValue(dataJson == null ? "null" : dataJson);
            g.writeStringProperty("uid", session.uid());
            g.writeStringProperty("clientId", session.clientId());
            g.writeStringProperty("transport", session.transportName());
            g.writeName("session");
            g.writeRawValue(session.data() == null ? "{}" : session.data());
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** The answer as compact JSON text; the backend must answer JSON (or nothing, which is {@code null}). */
    private String answer(byte[] body) {
        if (isBlank(body)) {
            return "null";
        }
        try {
            return RawJson.exact(mapper, body);
        } catch (JacksonException e) {
            throw new BackendCallException(BackendCallException.Code.FAILED, "the backend's answer is not JSON");
        }
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    private static BackendCallException busy(String why) {
        return new BackendCallException(BackendCallException.Code.BUSY, why + "; try again when one is answered");
    }

    private static BackendCallException failed(Throwable e) {
        if (e instanceof TimeoutException) {
            return new BackendCallException(BackendCallException.Code.TIMEOUT, "the backend did not answer in time");
        }
        if (e instanceof WebClientResponseException status) {
            return new BackendCallException(BackendCallException.Code.FAILED, "the backend answered " + status.getStatusCode().value());
        }
        return new BackendCallException(BackendCallException.Code.FAILED, "the backend could not be reached");
    }
}
