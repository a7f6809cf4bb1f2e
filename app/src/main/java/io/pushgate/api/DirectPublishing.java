package io.pushgate.api;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.pushgate.core.Broker;
import io.pushgate.core.Publication;
import io.pushgate.security.ApiKeys;
import io.pushgate.web.JsonBodies;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemErrors;
import io.pushgate.api.problem.ProblemException;
import io.pushgate.web.SecurityHeaders;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The publish routes served straight from the Netty pipeline, one {@link DirectPublishHandler} per
 * connection. A backend pushing to one uid per request spends most of its server time in the web
 * stack, not in delivery; this route skips WebFlux and Spring Security's chain for the requests that
 * need neither, and answers exactly what {@link MessagesController} answers: the same JSON, the same
 * problems, the same headers.
 *
 * <p>It takes a request only when nothing about it needs the full stack: {@code POST} to
 * {@code /api/v1/messages} or {@code /api/v1/messages:batch}, a valid API key, a declared
 * {@code Content-Length} within the body limit, a JSON {@code Content-Type} or none, no {@code Expect}, {@code Origin} or
 * {@code Content-Encoding}. Everything else (a missing or wrong key, a chunked body, a browser's
 * request) goes on to WebFlux, whose answers are the reference.
 */
public final class DirectPublishing {

    static final String MESSAGES = "/api/v1/messages";
    static final String BATCH = "/api/v1/messages:batch";

    private final Broker broker;
    private final JsonBodies bodies;
    private final PublishRequests requests;
    private final ApiKeys keys;
    private final JsonMapper mapper;
    private final AccessLog access;
    private final ApiRateLimits limits;
    private final LongAdder served = new LongAdder();

    DirectPublishing(Broker broker, JsonBodies bodies, PublishRequests requests, ApiKeys keys, JsonMapper mapper,
                     AccessLog access, ApiRateLimits limits) {
        this.broker = broker;
        this.bodies = bodies;
        this.requests = requests;
        this.keys = keys;
        this.mapper = mapper;
        this.access = access;
        this.limits = limits;
    }

    /** A handler for one new connection, to sit right after the HTTP codec. */
    public ChannelHandler newHandler() {
        return new DirectPublishHandler(this);
    }

    /** Requests answered here so far, for tests and diagnosis. */
    public long served() {
        return served.sum();
    }

    /** A request this route answers: its path and the id of its API key. */
    record Accepted(String path, String keyId) {
    }

    /** @return the route's path and the request's key id when this request is one to answer here, else {@code null} */
    @Nullable Accepted takes(HttpRequest request) {
        if (request.method() != HttpMethod.POST || !request.decoderResult().isSuccess()) {
            return null;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (!path.equals(MESSAGES) && !path.equals(BATCH)) {
            return null;
        }
        HttpHeaders headers = request.headers();
        if (headers.contains(HttpHeaderNames.EXPECT) || headers.contains(HttpHeaderNames.ORIGIN)
                || headers.contains(HttpHeaderNames.CONTENT_ENCODING) || HttpUtil.isTransferEncodingChunked(request)) {
            return null;
        }
        if (!JsonBodies.declaresJsonOrNothing(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
            return null; // WebFlux's 415 is the reference answer, and a mistake need not be fast
        }
        long length = HttpUtil.getContentLength(request, -1L);
        if (length < 0 || length > bodies.maxBytes()) {
            return null;
        }
        String keyId = ApiRequests.keyId(keys, headers.get(HttpHeaderNames.AUTHORIZATION));
        return keyId == null ? null : new Accepted(path.equals(MESSAGES) ? MESSAGES : BATCH, keyId);
    }

    /** Whether {@link #logged} writes lines, so a request need not read the clock when it does not. */
    boolean logging() {
        return access.enabled();
    }

    /** The access line of a request answered here, the same as WebFlux's for the same request. */
    void logged(String path, String keyId, Answer answer, long startNanos) {
        access.request("POST", path, answer.status().code(), keyId, startNanos);
    }

    /**
     * Publishes what the body asks for. Never throws: a bad body becomes a problem answer.
     *
     * @return the JSON answer with its status and content type
     */
    Mono<Answer> publish(String path, String keyId, byte[] body, @Nullable String idempotencyKey) {
        long retryAfter = limits.retryAfterSeconds(keyId);
        if (retryAfter > 0) {
            return Mono.just(problem(path, new ProblemException(ApiRateLimits.RATE_LIMITED), retryAfter));
        }
        List<Publication> publications;
        try {
            JsonNode json = bodies.parse(body);
            publications = path.equals(BATCH) ? requests.batch(json, idempotencyKey) : requests.one(json, idempotencyKey);
        } catch (RuntimeException e) {
            return Mono.just(problem(path, e));
        }
        served.increment();
        return broker.publish(publications)
                .map(results -> {
                    Object answer = path.equals(BATCH)
                            ? results.stream().map(MessagesController::answer).toList()
                            : MessagesController.answer(results.get(0));
                    return new Answer(HttpResponseStatus.OK, JSON, mapper.writeValueAsBytes(answer), 0);
                })
                .onErrorResume(e -> Mono.just(problem(path, e)));
    }

    private Answer problem(String path, Throwable error) {
        return problem(path, error, 0);
    }

    private Answer problem(String path, Throwable error, long retryAfterSeconds) {
        Problem problem = ProblemErrors.problem(error);
        return new Answer(HttpResponseStatus.valueOf(problem.status().value()), PROBLEM_JSON,
                mapper.writeValueAsBytes(problem.body(path)), retryAfterSeconds);
    }

    private static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";

    /** Every header set here is a constant or a number: checking each one's characters again is waste. */
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final HttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory().withValidation(false);

    /** An answer to write: status, content type, body, and {@code Retry-After} seconds when more than 0. */
    record Answer(HttpResponseStatus status, String contentType, byte[] body, long retryAfterSeconds) {

        /** The response, with the headers Spring Security puts on every API answer. */
        FullHttpResponse response(ByteBufAllocator alloc, HttpVersion version, boolean keepAlive) {
            ByteBuf content = alloc.buffer(body.length).writeBytes(body);
            FullHttpResponse response = new DefaultFullHttpResponse(version, status, content, HEADERS, TRAILERS);
            HttpHeaders headers = response.headers();
            headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
            headers.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (retryAfterSeconds > 0) {
                headers.set(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
            }
            headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache, no-store, max-age=0, must-revalidate");
            headers.set(HttpHeaderNames.PRAGMA, "no-cache");
            headers.set(HttpHeaderNames.EXPIRES, "0");
            SecurityHeaders.addTo(headers);
            HttpUtil.setKeepAlive(response, keepAlive);
            return response;
        }
    }
}
