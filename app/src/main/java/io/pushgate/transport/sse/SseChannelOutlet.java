package io.pushgate.transport.sse;

import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * An SSE stream's outlet that writes events straight to the Netty channel, as the WebSocket one does:
 * publishers on any thread enqueue, and one task on the channel's event loop writes everything queued
 * and flushes once. The HTTP codec turns each buffer into a chunk of the response.
 *
 * <p>Reactor Netty still owns the response: it writes the headers and the {@code retry:} line, and
 * ends the response when {@link #done()} completes. Nothing is written here before {@link #open()},
 * which the handler calls on the event loop once the headers are out; {@code done()} completes on the
 * event loop after the last event, so the end of the response follows it.
 *
 * <p>The bound counts events waiting here plus buffers Netty holds for a client that is not reading;
 * past it an offer is refused and the node closes the session as slow.
 */
final class SseChannelOutlet implements Outlet, Runnable {

    private final Channel channel;
    private final int capacity;
    private final Supplier<byte[]> closeEvent;
    private final Queue<Frame> first = Queues.<Frame>unboundedMultiproducer().get();
    private final Queue<Frame> bounded = Queues.<Frame>unboundedMultiproducer().get();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Sinks.Empty<Void> done = Sinks.empty();
    private volatile int inNetty;
    private volatile boolean opened;
    private volatile boolean completed;
    /** The server ended the stream: what is still queued is dropped, the close event goes out at once. */
    private volatile boolean cut;
    /** Touched on the event loop only. */
    private boolean ended;

    /** @param closeEvent the {@code close} event, asked for once when the stream ends */
    SseChannelOutlet(Channel channel, int capacity, Supplier<byte[]> closeEvent) {
        this.channel = channel;
        this.capacity = capacity;
        this.closeEvent = closeEvent;
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
        schedule();
        return Offer.QUEUED;
    }

    @Override
    public Offer offerFirst(Frame frame) {
        if (completed) {
            return Offer.CLOSED;
        }
        first.offer(frame);
        schedule();
        return Offer.QUEUED;
    }

    @Override
    public void complete() {
        completed = true;
        schedule();
    }

    /** Ends the stream now: queued events are dropped and the close event is written next. */
    void cut() {
        cut = true;
        complete();
    }

    @Override
    public Flux<Frame> frames() {
        return Flux.empty();
    }

    /** Starts writing; call on the channel's event loop once the response headers are written. */
    void open() {
        opened = true;
        run();
    }

    /** Completes on the event loop once the close event is written (or the connection is gone). */
    Mono<Void> done() {
        return done.asMono();
    }

    private void schedule() {
        if (opened && scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this);
        }
    }

    /** The drain, on the channel's event loop. */
    @Override
    public void run() {
        scheduled.set(false);
        if (!opened || ended) {
            return;
        }
        boolean wrote = false;
        Frame frame;
        if (cut) {
            first.clear();
            while (bounded.poll() != null) {
                waiting.decrementAndGet();
            }
        }
        while ((frame = first.poll()) != null) {
            wrote |= write(SseConnection.encode(frame));
        }
        while ((frame = bounded.poll()) != null) {
            waiting.decrementAndGet();
            wrote |= write(SseConnection.encode(frame));
        }
        if (completed && first.isEmpty() && bounded.isEmpty()) {
            ended = true;
            wrote |= write(closeEvent.get());
        }
        if (wrote) {
            channel.flush();
        }
        ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        inNetty = pending == null ? 0 : pending.size();
        if (ended) {
            done.tryEmitEmpty(); // the end of the response, written by Reactor Netty on this loop, follows
        }
    }

    /** The bytes are shared by every stream that gets the event (a wrapper, no copy). */
    private boolean write(byte[] bytes) {
        if (!channel.isActive()) {
            return false;
        }
        channel.write(Unpooled.wrappedBuffer(bytes));
        return true;
    }
}
