package io.pushgate.transport.sse;

import java.util.function.Supplier;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.pushgate.core.Frame;
import io.pushgate.transport.netty.DirectOutlet;

import org.jspecify.annotations.Nullable;

/**
 * An SSE stream's outlet: events go straight to the Netty channel (see {@link DirectOutlet}), and the
 * HTTP codec turns each buffer into a chunk of the response.
 *
 * <p>Whoever owns the response (Reactor Netty for {@link SseHandler}, {@link DirectSse}'s handler
 * otherwise) writes the headers and the {@code retry:} line, and ends the response once the close event
 * is out: when {@link #drained()} completes, or in the {@code afterEnd} callback. Nothing is written
 * here before {@link #open()}, which the owner calls on the event loop once the headers are out.
 */
final class SseChannelOutlet extends DirectOutlet {

    private final Supplier<byte[]> closeEvent;
    private final @Nullable Runnable afterEnd;
    private volatile boolean opened;
    /** The server ended the stream: what is still queued is dropped, the close event goes out at once. */
    private volatile boolean cut;
    /** The close event is written: nothing more is. Set on the event loop. */
    private volatile boolean ended;

    /**
     * @param closeEvent the {@code close} event, asked for once when the stream ends
     * @param afterEnd   run on the event loop once the close event is written, or {@code null}
     */
    SseChannelOutlet(Channel channel, int capacity, Supplier<byte[]> closeEvent, @Nullable Runnable afterEnd) {
        super(channel, capacity);
        this.closeEvent = closeEvent;
        this.afterEnd = afterEnd;
    }

    @Override
    protected void onDrained() {
        if (afterEnd != null) {
            afterEnd.run();
        }
    }

    /** Ends the stream now: queued events are dropped and the close event is written next. */
    void cut() {
        cut = true;
        complete();
    }

    /** Starts writing; call on the channel's event loop once the response headers are written. */
    void open() {
        opened = true;
        run();
    }

    @Override
    protected boolean ready() {
        return opened && !ended;
    }

    @Override
    protected void beforeDrain() {
        if (cut) {
            discardWaiting();
        }
    }

    @Override
    protected boolean write(Frame frame) {
        return write(SseConnection.encode(frame));
    }

    @Override
    protected boolean writeEnd() {
        ended = true;
        return write(closeEvent.get());
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
