package io.pushgate.transport.sse;

import java.util.concurrent.atomic.LongAdder;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.Cursor;
import io.pushgate.security.ClientTokens;
import io.pushgate.security.CookieOrigins;
import io.pushgate.web.SecurityHeaders;

import org.jspecify.annotations.Nullable;
import org.springframework.web.cors.CorsConfiguration;

/**
 * Serves {@code GET /sse} straight from Netty, without WebFlux. A WebFlux exchange stays alive for as
 * long as its response does, and an SSE response lasts as long as the client stays (the exchange, the
 * filter chains' and the controller's reactive operators: about 25 KiB per idle stream); a stream served
 * here holds Netty's channel with its HTTP codec and the session, and writes the same bytes.
 *
 * <p>Only a stream that would be accepted is taken here: HTTP/1.1 {@code GET /sse} without a body,
 * without {@code Origin} (browsers send it on cross-origin streams only) or from an origin on
 * {@code pushgate.cors.allowed-origins} (answered with the CORS headers WebFlux gives it), with a token
 * that verifies and a well-formed {@code Last-Event-ID}, and a session the node accepts.
 * Everything else, refusals included, goes on to WebFlux ({@link SseHandler}) and gets the same answer
 * as ever. The stream ends after its {@code close} event with the end of the chunked response, and the
 * connection is closed with it.
 */
public final class DirectSse {

    private static final String PATH = "/sse";
    /** Every header is a constant: checking their characters on each response is waste. */
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final SseStreams streams;
    private final TokenVerifier verifier;
    private final boolean enabled;
    private final @Nullable CorsConfiguration cors;
    private final CookieOrigins cookies;
    private final LongAdder taken = new LongAdder();

    /**
     * @param cors    the cross-origin rules for {@code /sse}, or {@code null} when no origin list is set
     * @param cookies when the {@code pushgate_token} cookie counts; a stream it does not take one from goes to WebFlux
     */
    public DirectSse(SseStreams streams, TokenVerifier verifier, boolean enabled, @Nullable CorsConfiguration cors,
                     CookieOrigins cookies) {
        this.cookies = cookies;
        this.streams = streams;
        this.verifier = verifier;
        this.enabled = enabled;
        this.cors = cors;
    }

    /** Whether {@code pushgate.sse.direct} is on. */
    public boolean enabled() {
        return enabled;
    }

    /** The handler for one new connection, to sit right after the HTTP codec. */
    public ChannelHandler newHandler() {
        return new DirectSseHandler(this);
    }

    SseStreams streams() {
        return streams;
    }

    /** Streams served here since start. */
    long taken() {
        return taken.sum();
    }

    void took() {
        taken.increment();
    }

    /**
     * A stream taken here: the token's claims, the cursor to resume from, and for a cross-origin page the
     * {@code Access-Control-Allow-Origin} to answer with.
     */
    record Admission(ClientClaims claims, @Nullable Cursor cursor, @Nullable String allowOrigin) {
    }

    /** The admission of a stream this path takes, or {@code null} to hand the request to WebFlux. */
    @Nullable Admission admit(HttpRequest request) {
        if (request.method() != HttpMethod.GET || !request.uri().startsWith(PATH)
                || request.protocolVersion() != HttpVersion.HTTP_1_1) {
            return null;
        }
        HttpHeaders headers = request.headers();
        if (HttpUtil.getContentLength(request, 0L) != 0 || HttpUtil.isTransferEncodingChunked(request)) {
            return null;
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        String allowOrigin = null;
        if (origin != null) {
            allowOrigin = cors == null ? null : cors.checkOrigin(origin);
            if (allowOrigin == null) {
                return null; // not on the list: WebFlux refuses it, or serves a page of pushgate's own origin
            }
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        if (!PATH.equals(uri.path())) {
            return null;
        }
        String token = ClientTokens.find(request, uri, cookies);
        if (token == null) {
            return null;
        }
        try {
            Cursor cursor = SseStreams.cursor(headers.get(SseStreams.LAST_EVENT_ID),
                    ClientTokens.parameter(uri, SseStreams.LAST_EVENT_ID_PARAMETER));
            return new Admission(verifier.verify(token), cursor, allowOrigin);
        } catch (InvalidTokenException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The response head, with the headers WebFlux, its CORS processing and Spring Security give a stream. */
    HttpResponse head(Admission admission) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, HEADERS);
        HttpHeaders headers = response.headers();
        headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        if (admission.allowOrigin() != null && cors != null) {
            headers.add(HttpHeaderNames.VARY, "Origin");
            headers.add(HttpHeaderNames.VARY, "Access-Control-Request-Method");
            headers.add(HttpHeaderNames.VARY, "Access-Control-Request-Headers");
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, admission.allowOrigin());
            if (Boolean.TRUE.equals(cors.getAllowCredentials())) {
                headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            }
        }
        headers.set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream;charset=UTF-8");
        headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        headers.set("X-Accel-Buffering", "no");
        SecurityHeaders.addTo(headers);
        return response;
    }
}
