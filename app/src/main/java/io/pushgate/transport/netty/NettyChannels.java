package io.pushgate.transport.netty;

import io.netty.channel.Channel;

import org.jspecify.annotations.Nullable;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

/** The Netty channel under a WebFlux exchange, for transports that write to it directly. */
public final class NettyChannels {

    private NettyChannels() {
    }

    /**
     * The connection's channel, the same before and after a WebSocket upgrade, or {@code null} when
     * the server is not Reactor Netty.
     */
    public static @Nullable Channel of(ServerWebExchange exchange) {
        Object response = ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse());
        return response instanceof Connection connection ? connection.channel() : null;
    }

    /**
     * {@code answer}, handed on on the channel's event loop (or, without a channel, off the thread that
     * answered): what the cluster's broker answers comes on a Redis client thread, which must not be kept.
     */
    public static <T> Mono<T> backOn(@Nullable Channel channel, Mono<T> answer) {
        return answer.publishOn(channel == null ? Schedulers.parallel() : Schedulers.fromExecutor(channel.eventLoop()));
    }
}
