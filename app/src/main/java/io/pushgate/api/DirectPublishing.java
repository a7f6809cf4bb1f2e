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
    private final LongAdder served = new LongAdder();

    DirectPublishing(Broker broker, JsonBodies bodies, PublishRequests requests, ApiKeys keys, JsonMapper mapper) {
        this.broker = broker;
        this.bodies = bodies;
        this.requests = requests;
        this.keys = keys;
        this.mapper = mapper;
    }

    /** A handler for one new connection, to sit right after the HTTP codec. */
    public ChannelHandler newHandler() {
        return new DirectPublishHandler(this);
    }

    /** Requests answered here so far, for tests and diagnosis. */
    public long served() {
        return served.sum();
    }

    /** @return the route's path when this request is one to answer here, else {@code null} */
    @Nullable String takes(HttpRequest request) {
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
        String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                || !keys.matches(authorization.substring(7).trim())) {
            return null;
        }
        return path;
    }

    /**
     * Publishes what the body asks for. Never throws: a bad body becomes a problem answer.
     *
     * @return the JSON answer with its status and content type
     */
    Mono<Answer> publish(String path, byte[] body, @Nullable String idempotencyKey) {
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
                    return new Answer(HttpResponseStatus.OK, JSON, mapper.writeValueAsBytes(answer));
                })
                .onErrorResume(e -> Mono.just(problem(path, e)));
    }

    private Answer problem(String path, Throwable error) {
        Problem problem = ProblemErrors.problem(error);
        return new Answer(HttpResponseStatus.valueOf(problem.status().value()), PROBLEM_JSON,
                mapper.writeValueAsBytes(problem.body(path)));
    }

    private static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";

    /** Every header set here is a constant or a number: checking each one's characters again is waste. */
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final HttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory().withValidation(false);

    /** An answer to write: status, content type and body. */
    record Answer(HttpResponseStatus status, String contentType, byte[] body) {

        /** The response, with the headers Spring Security puts on every API answer. */
        FullHttpResponse response(ByteBufAllocator alloc, HttpVersion version, boolean keepAlive) {
            ByteBuf content = alloc.buffer(body.length).writeBytes(body);
            FullHttpResponse response = new DefaultFullHttpResponse(version, status, content, HEADERS, TRAILERS);
            HttpHeaders headers = response.headers();
            headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
            headers.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache, no-store, max-age=0, must-revalidate");
            headers.set(HttpHeaderNames.PRAGMA, "no-cache");
            headers.set(HttpHeaderNames.EXPIRES, "0");
            SecurityHeaders.addTo(headers);
            HttpUtil.setKeepAlive(response, keepAlive);
            return response;
        }
    }
}
