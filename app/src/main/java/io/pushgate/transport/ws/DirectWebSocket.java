package io.pushgate.transport.ws;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Cursor;
import io.pushgate.security.ClientTokens;
import io.pushgate.security.CookieOrigins;

import org.jspecify.annotations.Nullable;

/**
 * Serves {@code /ws} upgrades straight from Netty, without WebFlux. A WebFlux exchange stays alive for
 * as long as its WebSocket does (request and response headers, the observation context, Reactor Netty's
 * operations, Spring's session and its handshake info: about 10 KiB per idle connection); a connection
 * upgraded here holds only Netty's channel with the WebSocket codec, and the protocol state
 * ({@link WsConnection}), which is the same either way.
 *
 * <p>Only an upgrade that would be accepted is taken here: {@code GET /ws} with a version 13 handshake,
 * an origin that is allowed by the list alone, a token that verifies (or none, for the {@code auth}
 * frame, unless the connect proxy is on) and a well-formed {@code ?cursor=}. Everything else, refusals included, goes on to WebFlux and
 * gets the same answer as ever (a 401, 403 or 400 problem), so there is one place that words refusals.
 */
public final class DirectWebSocket {

    private static final String PATH = "/ws";

    private final WsConnection.Shared shared;
    private final Predicate<String> allowedOrigins;
    private final CookieOrigins cookies;
    private final WebSocketDecoderConfig decoderConfig;
    private final LongAdder upgrades = new LongAdder();

    /**
     * @param allowedOrigins whether a page from an origin may open {@code /ws} by the origin list alone;
     *                       a page it does not allow is handed to WebFlux, which also knows same-origin pages
     * @param cookies        when the {@code pushgate_token} cookie counts; one this path cannot judge goes to WebFlux
     */
    public DirectWebSocket(PushWebSocketHandler handler, Predicate<String> allowedOrigins, CookieOrigins cookies) {
        this.shared = handler.shared();
        this.allowedOrigins = allowedOrigins;
        this.cookies = cookies;
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(shared.settings().hardFrameLimit())
                .allowExtensions(false)
                .closeOnProtocolViolation(false) // the connection says why, with its own close handshake
                .build();
    }

    /** Whether {@code pushgate.ws.direct} is on. */
    public boolean enabled() {
        return shared.settings().direct();
    }

    /** The handler for one new connection, to sit right after the HTTP codec. */
    public ChannelHandler newHandler() {
        return new DirectUpgradeHandler(this);
    }

    /** Upgrades served here since start. */
    long upgrades() {
        return upgrades.sum();
    }

    void upgraded() {
        upgrades.increment();
    }

    WsConnection.Shared shared() {
        return shared;
    }

    WebSocketDecoderConfig decoderConfig() {
        return decoderConfig;
    }

    /** An upgrade taken here: the handshake's claims ({@code null}: an {@code auth} frame follows) and cursor. */
    record Admission(@Nullable ClientClaims claims, @Nullable Cursor cursor) {
    }

    /** The admission of an upgrade this path takes, or {@code null} to hand the request to WebFlux. */
    @Nullable Admission admit(HttpRequest request) {
        if (request.method() != HttpMethod.GET || !request.uri().startsWith(PATH)) {
            return null;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        HttpHeaders headers = request.headers();
        if (!PATH.equals(uri.path())
                || !headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                || !headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !"13".equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))
                || !headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
            return null;
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin != null && !allowedOrigins.test(origin)) {
            return null;
        }
        Cursor cursor = null;
        String cursorText = ClientTokens.parameter(uri, "cursor");
        if (cursorText != null && !cursorText.isEmpty()) {
            try {
                cursor = Cursor.parse(cursorText);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        String token = ClientTokens.find(request, uri, cookies);
        if (token == null) {
            if (shared.proxy().enabled()) {
                return null; // the connect proxy may judge its cookies, or its auth frame: WebFlux knows the peer and page
            }
            // a cookie from a page that may be pushgate's own: WebFlux knows, and takes it or not
            return ClientTokens.cookieNeedsWebFlux(request) ? null : new Admission(null, cursor);
        }
        try { // uncounted: a refused token goes on to WebFlux, whose check counts it
            return new Admission(shared.verifier().uncounted().verify(token), cursor);
        } catch (InvalidTokenException e) {
            return null;
        }
    }

}
