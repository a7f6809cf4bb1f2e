package io.pushgate.transport.ws;

import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * A WebSocket session's outlet that writes frames straight to the Netty channel, with no reactive
 * pipeline per message: publishers on any thread enqueue, and one task on the channel's event loop
 * writes everything queued and flushes once. A broadcast to many sessions therefore costs one queue
 * offer per session on the publisher's thread and one write plus one flush per session on its loop,
 * however many frames each flush carries.
 *
 * <p>The bound covers frames waiting here plus frames Netty holds for a socket that is not reading:
 * past {@code capacity} an offer is refused ({@link Offer#FULL}) and the node closes the session as
 * slow. Frames given with {@link #offerFirst} (welcome, replayed history) are outside the bound and
 * are written before waiting bounded frames.
 */
final class ChannelOutlet implements Outlet, Runnable {

    /** Offered after a ping text frame; written as a WebSocket ping control frame. */
    static final Frame CONTROL_PING = Frame.control(new byte[0]);

    private final Channel channel;
    private final int capacity;
    private final Queue<Frame> first = Queues.<Frame>unboundedMultiproducer().get();
    /** Set after an offer to {@link #first}: a drain skips that rarely used queue, and its cache miss, otherwise. */
    private volatile boolean hasFirst;
    private final Queue<Frame> bounded = Queues.<Frame>unboundedMultiproducer().get();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Sinks.Empty<Void> drained = Sinks.empty();
    /** Frames Netty still holds unwritten, as of the last drain; read by offers on other threads. */
    private volatile int inNetty;
    private volatile boolean completed;
    private final @Nullable DelayedDrains delayed;

    ChannelOutlet(Channel channel, int capacity) {
        this(channel, capacity, null);
    }

    /**
     * @param delayed where bounded frames wait up to {@code pushgate.ws.write-delay} to be written
     *                together with one flush; {@code null} drains at the next turn of the loop
     */
    ChannelOutlet(Channel channel, int capacity, @Nullable DelayedDrains delayed) {
        this.channel = channel;
        this.capacity = capacity;
        this.delayed = delayed;
    }

    @Override
    public Offer offer(Frame frame) {
        if (completed) {
            return Offer.CLOSED;
        }
        if (waiting.incrementAndGet() + inNetty > capacity) {
            waiting.decrementAndGet();
            return Offer.FULL;
        }
        bounded.offer(frame);
        schedule(delayed);
        return Offer.QUEUED;
    }

    @Override
    public Offer offerFirst(Frame frame) {
        if (completed) {
            return Offer.CLOSED;
        }
        first.offer(frame);
        hasFirst = true;
        schedule(null);
        return Offer.QUEUED;
    }

    @Override
    public void complete() {
        completed = true;
        schedule(null);
    }

    @Override
    public Flux<Frame> frames() {
        return Flux.empty();
    }

    /** Completes once {@link #complete()} was called and every frame offered before it was written out. */
    Mono<Void> drained() {
        return drained.asMono();
    }

    /** A drain already scheduled (possibly later, by a write delay) takes everything offered before it runs. */
    private void schedule(@Nullable DelayedDrains later) {
        if (scheduled.compareAndSet(false, true)) {
            if (later == null) {
                channel.eventLoop().execute(this);
            } else {
                later.add(this);
            }
        }
    }

    /** The drain, on the channel's event loop. */
    @Override
    public void run() {
        scheduled.set(false);
        boolean wrote = false;
        Frame frame;
        if (hasFirst) {
            hasFirst = false; // an offer after this sets it again and schedules another drain
            while ((frame = first.poll()) != null) {
                write(frame);
                wrote = true;
            }
        }
        while ((frame = bounded.poll()) != null) {
            waiting.decrementAndGet();
            write(frame);
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
        ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        inNetty = pending == null ? 0 : pending.size();
        if (completed && first.isEmpty() && bounded.isEmpty()) {
            drained.tryEmitEmpty(); // later writes on this loop (the close frame) follow the ones above
        }
    }

    private void write(Frame frame) {
        if (!channel.isActive()) {
            return;
        }
        if (frame == CONTROL_PING) {
            channel.write(new PingWebSocketFrame());
        } else {
            // the payload bytes are shared by every session (a wrapper, no copy); Netty's frame encoder adds
            // the 2-4 byte header into a pooled direct buffer. Pre-encoding the whole frame once into a
            // shared direct buffer measured slower (5.7 vs 5.0 us per delivery): the read-only wrapper
            // takes Netty's slower write path. A failed write (peer gone) fails only its own promise.
            channel.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(frame.json())));
        }
    }
}
