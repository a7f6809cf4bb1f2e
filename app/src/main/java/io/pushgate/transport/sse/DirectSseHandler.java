package io.pushgate.transport.sse;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.pushgate.core.Prepared;
import io.pushgate.transport.netty.HttpStage;
import io.pushgate.transport.netty.HttpTakeover;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;

/**
 * One connection's share of {@link DirectSse}, right after the HTTP codec (see {@link HttpTakeover} for
 * which requests it takes). A taken request whose session the node refuses goes on to WebFlux, which
 * answers the refusal. Taking a stream turns the connection into that one response: an
 * {@link SseStreamHandler} takes this one's place, and the channel reads as fast as bytes come (a
 * client sends nothing more; reading lets the server see it go).
 */
final class DirectSseHandler extends HttpTakeover<DirectSse.Admission> {

    private final DirectSse route;

    DirectSseHandler(DirectSse route) {
        this.route = route;
    }

    @Override
    protected DirectSse.@Nullable Admission admit(HttpRequest request) {
        return route.admit(request);
    }

    /**
     * On a partitioned cluster log the stream is taken once its state is read from the cluster, back on the
     * event loop; a connection gone meanwhile never opens, and a refusal or a cluster that cannot be read goes
     * on to WebFlux, which words the answer (asking the cluster again). Elsewhere it is taken at once.
     */
    @Override
    protected boolean takeOver(ChannelHandlerContext ctx, HttpRequest request, DirectSse.Admission admission) {
        Mono<Prepared> preparing = route.streams().prepare(admission.claims(), admission.cursor());
        if (preparing == null) {
            return take(ctx, admission, null);
        }
        Channel channel = ctx.channel();
        preparing.subscribe(prepared -> channel.eventLoop().execute(() -> {
            if (channel.isActive() && !take(ctx, admission, prepared)) {
                handOnLater(ctx, request);
            }
        }), error -> channel.eventLoop().execute(() -> {
            if (channel.isActive()) {
                handOnLater(ctx, request);
            }
        }));
        return true;
    }

    private boolean take(ChannelHandlerContext ctx, DirectSse.Admission admission, @Nullable Prepared prepared) {
        Channel channel = ctx.channel();
        SseStreams streams = route.streams();
        SseStreamHandler stream = new SseStreamHandler(channel, streams);
        SseStreams.Opened opened = streams.open(channel, admission.claims(), admission.cursor(), stream::end, prepared);
        SseChannelOutlet outlet = opened == null ? null : opened.outlet();
        if (opened == null || outlet == null) {
            return false;
        }
        stream.attach(opened.session());
        route.took();
        HttpStage.leave(ctx.pipeline(), this);
        ctx.pipeline().replace(this, "pushgate.sse", stream);
        channel.write(route.head(admission));
        channel.writeAndFlush(Unpooled.wrappedBuffer(streams.retry()));
        channel.config().setAutoRead(true);
        outlet.open(); // the welcome, then whatever was queued since
        return true;
    }
}
