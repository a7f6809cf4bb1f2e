package io.pushgate.api;

import io.netty.channel.Channel;
import io.pushgate.api.problem.Problem;

import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * {@code GET /api/v1/stream}: the upgrade to a {@link PublishStream}. It sits behind the API's security
 * chain like every {@code /api/**} route, so a missing or wrong key is refused with the API's 401 problem
 * before any upgrade, and the upgrade itself is one request for the access log and the key's rate.
 */
@RestController
class StreamController {

    static final Problem SHUTTING_DOWN = new Problem("shutting-down", HttpStatus.SERVICE_UNAVAILABLE,
            "the node is shutting down; open the stream on another node");

    private final PublishStream stream;
    private final WebSocketService upgrades;

    StreamController(PublishStream stream, ApiSettings settings) {
        this.stream = stream;
        int hard = PublishStream.hardFrameLimit(settings.maxBodyBytes());
        // fragments are joined by Spring's session up to the same limit; pings are answered by Reactor Netty
        this.upgrades = new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy(
                () -> WebsocketServerSpec.builder().maxFramePayloadLength(hard)));
    }

    @GetMapping(PublishStream.PATH)
    Mono<Void> open(ServerWebExchange exchange) {
        if (exchange.getRequest().getHeaders().containsHeader(PublishRequests.IDEMPOTENCY_KEY)) {
            // one header cannot name many publishes; as for a batch, each frame carries its own idempotencyKey
            return Mono.error(ApiException.badRequest(
                    "the stream takes an idempotencyKey per publish frame, not the Idempotency-Key header"));
        }
        if (stream.draining()) {
            return Mono.error(new ApiException(SHUTTING_DOWN));
        }
        String keyId = exchange.getAttribute(ApiRequests.KEY_ID);
        if (keyId == null) {
            // unreachable behind the API chain, which lets no request without a valid key past
            return Mono.error(new ApiException(new Problem("missing-api-key", HttpStatus.UNAUTHORIZED,
                    "send the API key as 'Authorization: Bearer <key>'")));
        }
        Object response = ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse());
        Channel channel = response instanceof Connection connection ? connection.channel() : null;
        return upgrades.handleRequest(exchange, session -> stream.serve(session, keyId, channel));
    }
}
