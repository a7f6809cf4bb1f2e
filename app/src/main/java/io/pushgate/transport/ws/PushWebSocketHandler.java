package io.pushgate.transport.ws;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.ClientActions;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.ConnectProxy;
import io.pushgate.core.TransportRole;
import io.pushgate.core.Cursor;
import io.pushgate.security.ClientTokens;
import io.pushgate.security.SecurityConfig;
import io.pushgate.web.Unauthenticated;

import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serves {@code /ws} upgrades that WebFlux makes: those {@link DirectWebSocket} does not take (it is
 * off, or the request needs WebFlux's answer, such as a same-origin page when an origin list is set).
 * The handshake has passed the client security chain: a token given in the query, the
 * {@code Authorization} header or the subprotocols was verified there, and its claims arrive as the
 * exchange attribute {@link #CLAIMS_ATTRIBUTE}, bound to the connection by
 * {@link ClaimsBindingWebSocketService}. Without one, the client has {@link WsSettings#authTimeout()} to
 * send an {@code auth} frame. The protocol itself is {@link WsConnection}'s, the same as for a direct upgrade.
 */
public final class PushWebSocketHandler implements WebSocketHandler {

    /** The exchange attribute holding the handshake's verified {@link ClientClaims}. */
    public static final String CLAIMS_ATTRIBUTE = SecurityConfig.CLIENT_CLAIMS_ATTRIBUTE;

    /** Echoed when the client offers {@code bearer, <token>} as subprotocols, as browsers require. */
    public static final String BEARER_PROTOCOL = ClientTokens.BEARER_PROTOCOL;

    private final WsConnection.Shared shared;
    private final Disposable heartbeats;
    /**
     * What Reactor Netty's handshake gives its decoder for the spec {@link WebSocketConfig} sets
     * (extensions allowed, the hard frame limit, Netty's defaults otherwise), for the connection to
     * replace it with one at the smaller limit before authentication, and back.
     */
    private final WebSocketDecoderConfig decoderConfig;

    public PushWebSocketHandler(TransportRole node, ClientActions actions, TokenVerifier verifier, JsonFrames frames, JsonMapper mapper,
                                WsSettings settings, Unauthenticated unauthenticated, ConnectProxy proxy) {
        this.shared = new WsConnection.Shared(node, actions, verifier, frames, mapper, settings,
                new DelayedDrains.Registry(settings.writeDelay()), unauthenticated, proxy);
        this.heartbeats = node.heartbeats("websocket", settings.heartbeat());
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .allowExtensions(true)
                .maxFramePayloadLength(settings.hardFrameLimit())
                .build();
    }

    /** Stops the heartbeat. */
    public void close() {
        heartbeats.dispose();
    }

    WsConnection.Shared shared() {
        return shared;
    }

    @Override
    public List<String> getSubProtocols() {
        return List.of(BEARER_PROTOCOL);
    }

    /** Without the channel under the session there is nothing to write to: refused at once. */
    @Override
    public Mono<Void> handle(WebSocketSession session) {
        return session.close(CloseStatus.SERVER_ERROR);
    }

    /**
     * This handler for one handshake: with the claims of the token the security chain already verified
     * (or {@code null}), the cursor given as {@code ?cursor=} to resume from (or {@code null}), and the
     * connection's Netty channel, which the connection writes to directly; {@code handshake} is what the
     * connect proxy is told of it should an {@code auth} frame's token not be a valid JWT ({@code null}: no proxy).
     */
    WebSocketHandler forHandshake(@Nullable ClientClaims claims, @Nullable Cursor resumeFrom, @Nullable Channel channel,
                                  Unauthenticated.@Nullable Permit pending, ConnectProxy.@Nullable Attempt handshake) {
        return new WebSocketHandler() {
            @Override
            public List<String> getSubProtocols() {
                return PushWebSocketHandler.this.getSubProtocols();
            }

            @Override
            public Mono<Void> handle(WebSocketSession session) {
                if (channel == null) {
                    if (pending != null) {
                        pending.release();
                    }
                    return PushWebSocketHandler.this.handle(session);
                }
                return serve(session, channel, claims, resumeFrom, pending, handshake);
            }
        };
    }

    /** Feeds what WebFlux reads to the connection; done when the client has gone. */
    private Mono<Void> serve(WebSocketSession session, Channel channel, @Nullable ClientClaims claims,
                             @Nullable Cursor resumeFrom, Unauthenticated.@Nullable Permit pending,
                             ConnectProxy.@Nullable Attempt handshake) {
        WsConnection connection = new WsConnection(channel, shared, decoderConfig);
        // receive() adds WebFlux's aggregator of fragments, whose limit open() lowers until authentication
        Flux<WebSocketMessage> inbound = session.receive();
        connection.open(claims, resumeFrom, pending, handshake);
        return inbound
                .doOnNext(message -> onMessage(connection, message))
                .doOnError(connection::onBrokenFrame)
                .then()
                .onErrorResume(e -> Mono.empty()) // a dropped socket ends the inbound with an error: a normal end here
                .doFinally(signal -> connection.closed());
    }

    private static void onMessage(WsConnection connection, WebSocketMessage message) {
        switch (message.getType()) {
            case TEXT -> {
                connection.onText(buffer(message.getPayload()));
                connection.afterFrame();
            }
            case BINARY -> connection.onBinary();
            case PING -> connection.onPing(buffer(message.getPayload()));
            case PONG -> connection.onControl();
        }
    }

    private static ByteBuf buffer(DataBuffer payload) {
        return payload instanceof NettyDataBuffer netty ? netty.getNativeBuffer() : Unpooled.wrappedBuffer(payload.asByteBuffer());
    }
}
