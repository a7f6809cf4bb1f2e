package io.pushgate.transport.netty;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import org.jspecify.annotations.Nullable;

/**
 * A handler right after the HTTP codec that takes a connection over for one kind of request, such as a
 * WebSocket upgrade or an SSE stream, served from the Netty pipeline rather than by WebFlux.
 *
 * <p>Guarantees: a request is taken only when {@link #admit} accepts it and no earlier request on the
 * connection is still being answered by WebFlux, so answers keep their order; every other message goes
 * on untouched, and so does a taken request that {@link #takeOver} declines after all, with its end.
 * Only requests without a body are taken: whatever body bytes come are dropped. All state is touched on
 * the channel's event loop only.
 *
 * @param <A> what {@link #admit} found out about a request it accepts
 */
public abstract class HttpTakeover<A> extends ChannelDuplexHandler {

    /** Requests handed on whose response has not ended yet. */
    private int handedOn;
    /** The request taken, while its end (an empty last content) is still to come. */
    private @Nullable HttpRequest taken;
    private @Nullable A admission;

    /** What this handler needs to take {@code request}, or {@code null} to hand it to WebFlux. */
    protected abstract @Nullable A admit(HttpRequest request);

    /**
     * Takes the connection over, once the whole request has been read; {@link HttpStage#leave} takes the
     * HTTP handlers out of the pipeline, and this handler should replace itself.
     *
     * @return {@code false} to hand the request to WebFlux after all (say, for it to word a refusal)
     */
    protected abstract boolean takeOver(ChannelHandlerContext ctx, HttpRequest request, A admission);

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        HttpRequest request = taken;
        if (request != null) {
            if (msg instanceof LastHttpContent) {
                taken = null;
                finish(ctx, request, msg);
            } else {
                ReferenceCountUtil.release(msg);
                ctx.read();
            }
            return;
        }
        if (msg instanceof HttpRequest candidate) {
            A admitted = handedOn == 0 ? admit(candidate) : null;
            if (admitted == null) {
                handedOn++;
                ctx.fireChannelRead(msg);
                return;
            }
            admission = admitted;
            if (msg instanceof LastHttpContent) {
                finish(ctx, candidate, null);
            } else {
                taken = candidate;
                ctx.read(); // Reactor Netty reads on demand, and it will not ask for the rest of this request
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public final void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && handedOn > 0) {
            handedOn--; // WebFlux ended a response
        }
        ctx.write(msg, promise);
    }

    /**
     * Hands a request {@link #takeOver} took to WebFlux after all, later, from the event loop: for a take-over
     * that waited for something first (its body was dropped: only requests without one are taken).
     */
    protected final void handOnLater(ChannelHandlerContext ctx, HttpRequest request) {
        handedOn++;
        ctx.fireChannelRead(request);
        if (!(request instanceof LastHttpContent)) {
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    private void finish(ChannelHandlerContext ctx, HttpRequest request, @Nullable Object last) {
        A admitted = admission;
        admission = null;
        if (admitted != null && takeOver(ctx, request, admitted)) {
            if (last != null) {
                ReferenceCountUtil.release(last);
            }
            return;
        }
        handedOn++;
        ctx.fireChannelRead(request);
        if (last != null) {
            ctx.fireChannelRead(last);
        }
    }
}
