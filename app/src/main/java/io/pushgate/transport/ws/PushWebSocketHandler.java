package io.pushgate.transport.ws;

import java.util.List;

import io.netty.channel.Channel;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Broker;
import io.pushgate.core.PushNode;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.history.Cursor;
import io.pushgate.security.SecurityConfig;

import org.jspecify.annotations.Nullable;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;

import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serves {@code /ws}. The handshake has already passed the client security chain: a token given in
 * the query, the {@code Authorization} header or the subprotocols was verified there, and its claims
 * arrive as the exchange attribute {@link #CLAIMS_ATTRIBUTE}, bound to the connection by
 * {@link ClaimsBindingWebSocketService}. Without one, the client has
 * {@link WsSettings#authTimeout()} to send an {@code auth} frame.
 */
public final class PushWebSocketHandler implements WebSocketHandler {

    /** The exchange attribute holding the handshake's verified {@link ClientClaims}. */
    public static final String CLAIMS_ATTRIBUTE = SecurityConfig.CLIENT_CLAIMS_ATTRIBUTE;

    /** Echoed when the client offers {@code bearer, <token>} as subprotocols, as browsers require. */
    public static final String BEARER_PROTOCOL = "bearer";

    private final PushNode node;
    private final Broker broker;
    private final TokenVerifier verifier;
    private final JsonFrames frames;
    private final JsonMapper mapper;
    private final WsSettings settings;
    private final DelayedDrains.Registry drains;

    private final Disposable heartbeats;

    public PushWebSocketHandler(PushNode node, Broker broker, TokenVerifier verifier, JsonFrames frames, JsonMapper mapper,
                                WsSettings settings) {
        this.node = node;
        this.broker = broker;
        this.verifier = verifier;
        this.frames = frames;
        this.mapper = mapper;
        this.settings = settings;
        this.drains = new DelayedDrains.Registry(settings.writeDelay());
        this.heartbeats = node.heartbeats("websocket", settings.heartbeat());
    }

    /** Stops the heartbeat. */
    public void close() {
        heartbeats.dispose();
    }

    @Override
    public List<String> getSubProtocols() {
        return List.of(BEARER_PROTOCOL);
    }

    @Override
    public Mono<Void> handle(WebSocketSession session) {
        return new WsConnection(session, null, drains, node, broker, verifier, frames, mapper, settings).run(null, null);
    }

    /**
     * This handler for one handshake: with the claims of the token the security chain already verified
     * (or {@code null}), the cursor given as {@code ?cursor=} to resume from (or {@code null}), and the
     * connection's Netty channel, written to directly (or {@code null} to go through Spring's session).
     */
    WebSocketHandler forHandshake(@Nullable ClientClaims claims, @Nullable Cursor resumeFrom, @Nullable Channel channel) {
        return new WebSocketHandler() {
            @Override
            public List<String> getSubProtocols() {
                return PushWebSocketHandler.this.getSubProtocols();
            }

            @Override
            public Mono<Void> handle(WebSocketSession session) {
                return new WsConnection(session, channel, drains, node, broker, verifier, frames, mapper, settings).run(claims, resumeFrom);
            }
        };
    }
}
