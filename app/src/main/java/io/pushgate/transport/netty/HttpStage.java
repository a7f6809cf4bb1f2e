package io.pushgate.transport.netty;

import java.util.List;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

import reactor.netty.NettyPipeline;

/**
 * The handlers pushgate puts right after the HTTP codec of every connection, and how a connection
 * leaves HTTP exchanges behind when one of them takes it over for a WebSocket or an endless SSE
 * response: Reactor Netty's handlers for request and response bookkeeping, its idle timeout between
 * requests, and the other pushgate handlers would all act on traffic that is no longer theirs.
 */
public final class HttpStage {

    public static final String WEBSOCKET = "pushgate.directWebSocket";
    public static final String SSE = "pushgate.directSse";
    public static final String PUBLISH = "pushgate.directPublish";

    private static final List<String> HTTP_ONLY = List.of(NettyPipeline.HttpTrafficHandler, NettyPipeline.IdleTimeoutHandler,
            NettyPipeline.ReadTimeoutHandler, NettyPipeline.AccessLogHandler, NettyPipeline.HttpMetricsHandler,
            NettyPipeline.CompressionHandler, WEBSOCKET, SSE, PUBLISH);

    private HttpStage() {
    }

    /** Removes every handler that acts on HTTP exchanges, except {@code taker}, the one taking the connection over. */
    public static void leave(ChannelPipeline pipeline, ChannelHandler taker) {
        for (String name : HTTP_ONLY) {
            ChannelHandler handler = pipeline.get(name);
            if (handler != null && handler != taker) {
                pipeline.remove(handler);
            }
        }
    }
}
