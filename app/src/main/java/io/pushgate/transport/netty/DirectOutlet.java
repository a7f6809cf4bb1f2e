package io.pushgate.transport.netty;

import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * A session's outlet that writes frames straight to its Netty channel, with no reactive pipeline per
 * message: publishers on any thread enqueue, and one drain on the channel's event loop writes everything
 * queued and flushes once. A broadcast to many sessions therefore costs one queue offer per session on
 * the publisher's thread and one write plus one flush per session on its loop, however many frames
 * each flush carries. Live frames' drains wait in the loop's {@link WritePass}, which runs them after
 * everything else the loop has to do and reads its sockets between slices: a session whose drain has
 * not run yet when the next publish arrives gets both frames with one flush. Transports (WebSocket,
 * SSE) say how a frame is written.
 *
 * <p>The bound covers frames waiting here plus buffers Netty holds for a peer that is not reading:
 * past {@code capacity} an offer is refused ({@link Offer#FULL}) and the node closes the session as
 * slow. Frames given with {@link #offerFirst} (welcome, replayed history) are written before the other
 * waiting frames and have the allowance {@link Outlet} describes: up to {@link Outlet#FIRST_ALLOWANCE}
 * capacities more, on top of which live frames may fill one capacity until the first frames are out.
 */
public abstract class DirectOutlet implements Outlet, Runnable {

    protected final Channel channel;
    private final int capacity;
    /** Where live frames' drains wait; shared by every outlet of the channel's loop. */
    private final WritePass pass;
    private final Queue<Frame> first = Queues.<Frame>unboundedMultiproducer().get();
    /** Set after an offer to {@link #first}: a drain skips that rarely used queue, and its cache miss, otherwise. */
    private volatile boolean hasFirst;
    private final Queue<Frame> bounded = Queues.<Frame>unboundedMultiproducer().get();
    // field updaters rather than atomics: an idle node holds one outlet per session, and each atomic is an object
    private static final AtomicIntegerFieldUpdater<DirectOutlet> WAITING =
            AtomicIntegerFieldUpdater.newUpdater(DirectOutlet.class, "waiting");
    private static final AtomicIntegerFieldUpdater<DirectOutlet> SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(DirectOutlet.class, "scheduled");
    private static final AtomicIntegerFieldUpdater<DirectOutlet> EXTRA =
            AtomicIntegerFieldUpdater.newUpdater(DirectOutlet.class, "extra");
    private volatile int waiting;
    private volatile int scheduled;
    /** First frames taken since the outlet last held no more than a capacity: live frames may wait on top of them. */
    private volatile int extra;
    /** Made when a transport first asks for {@link #drained()}; most wait through {@link #onDrained()} instead. */
    private volatile Sinks.@Nullable Empty<Void> drained;
    private volatile boolean drainedAll;
    /** Buffers Netty still holds unwritten, as of the last drain; read by offers on other threads. */
    private volatile int inNetty;
    private volatile boolean completed;

    protected DirectOutlet(Channel channel, int capacity) {
        this(channel, capacity, WritePass.of(channel.eventLoop()));
    }

    /** With a given pass: tests drive one pass over the outlets of several channels. */
    protected DirectOutlet(Channel channel, int capacity, WritePass pass) {
        this.channel = channel;
        this.capacity = capacity;
        this.pass = pass;
    }

    @Override
    public final Offer offer(Frame frame) {
        if (completed) {
            return Offer.CLOSED;
        }
        if (WAITING.incrementAndGet(this) + inNetty > capacity + extra) {
            WAITING.decrementAndGet(this);
            return Offer.FULL;
        }
        bounded.offer(frame);
        schedule(true);
        return Offer.QUEUED;
    }

    @Override
    public final Offer offerFirst(Frame frame) {
        if (completed) {
            return Offer.CLOSED;
        }
        if (WAITING.incrementAndGet(this) + inNetty > capacity * (1 + FIRST_ALLOWANCE)) {
            WAITING.decrementAndGet(this);
            return Offer.FULL;
        }
        first.offer(frame);
        hasFirst = true;
        if (extra < capacity * FIRST_ALLOWANCE) { // first frames come one producer at a time (the node's lock)
            EXTRA.incrementAndGet(this);
        }
        schedule(false);
        return Offer.QUEUED;
    }

    @Override
    public final int room() {
        return Math.max(0, capacity * (1 + FIRST_ALLOWANCE) - waiting - inNetty);
    }

    @Override
    public void complete() {
        completed = true;
        schedule(false);
    }

    @Override
    public final Flux<Frame> frames() {
        return Flux.empty();
    }

    /**
     * Completes on the event loop once {@link #complete()} was called and everything before it was
     * written (at once, if that has happened already).
     */
    public final Mono<Void> drained() {
        Sinks.Empty<Void> sink = drained;
        if (sink == null) {
            sink = Sinks.empty();
            drained = sink;
        }
        if (drainedAll) {
            sink.tryEmitEmpty(); // the drain ended before the sink was there to be told
        }
        return sink.asMono();
    }

    /**
     * Called on the event loop once {@link #complete()} was called and everything before it was written;
     * later writes on this loop (a close frame, the end of a response) follow what the outlet wrote.
     */
    protected void onDrained() {
    }

    /** Whether the drain may write yet; a subclass that must wait for its response headers says no until then. */
    protected boolean ready() {
        return true;
    }

    /**
     * Runs the drain on the event loop. {@code delayable} drains (live frames) wait in the loop's
     * {@link WritePass}, where a drain that has not run yet takes the frames of later publishes along
     * (a subclass may delay them further); welcomes, replays and the end are not delayable and run as a
     * task of their own, ahead of the pass's remaining slices, unless a drain of this outlet is already
     * waiting in the pass: that one takes them along (a drain writes first frames first).
     */
    protected void dispatch(boolean delayable) {
        if (delayable) {
            pass.add(this);
        } else {
            channel.eventLoop().execute(this);
        }
    }

    /** Called on the event loop before a drain writes: a subclass may {@link #discardWaiting()} here. */
    protected void beforeDrain() {
    }

    /** Writes one frame without flushing. @return whether anything was written */
    protected abstract boolean write(Frame frame);

    /**
     * Called on the event loop after a drain's last {@link #write}, before {@link #writeEnd} and the
     * flush: a subclass that gathers the drain's frames into one buffer hands it to the channel here.
     */
    protected void writesDone() {
    }

    /** Called on the event loop once completed and empty, before the flush. @return whether it wrote */
    protected boolean writeEnd() {
        return false;
    }

    /** Drops every frame not yet written. Call on the event loop. */
    protected final void discardWaiting() {
        while (first.poll() != null) {
            WAITING.decrementAndGet(this);
        }
        while (bounded.poll() != null) {
            WAITING.decrementAndGet(this);
        }
    }

    /** Asks for a drain (again), if one may run; a subclass calls it when {@link #ready()} turns true. */
    protected final void schedule(boolean delayable) {
        if (ready() && SCHEDULED.compareAndSet(this, 0, 1)) {
            dispatch(delayable);
        }
    }

    /** The drain, on the channel's event loop. */
    @Override
    public final void run() {
        scheduled = 0;
        if (!ready()) {
            return;
        }
        beforeDrain();
        boolean wrote = false;
        Frame frame;
        try {
            if (hasFirst) {
                hasFirst = false; // an offer after this sets it again and schedules another drain
                while ((frame = first.poll()) != null) {
                    WAITING.decrementAndGet(this);
                    wrote |= write(frame);
                }
            }
            while ((frame = bounded.poll()) != null) {
                WAITING.decrementAndGet(this);
                if (write(frame)) {
                    wrote = true;
                    frame.written(); // flushed below, in this turn of the loop; reports a sampled frame's fan-out latency
                }
            }
        } finally {
            writesDone(); // even after a failed write: what a subclass holds must reach the channel or be released
        }
        boolean ended = completed && first.isEmpty() && bounded.isEmpty();
        if (ended) {
            wrote |= writeEnd();
        }
        if (wrote) {
            channel.flush();
        }
        int e = extra; // read before the checks: a first offer after them changes it, and the reset fails
        ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        inNetty = pending == null ? 0 : pending.size();
        if (e > 0 && waiting + inNetty <= capacity && first.isEmpty()) {
            EXTRA.compareAndSet(this, e, 0); // the first frames are out: live frames are back to one capacity
        }
        if (ended) {
            drainedAll = true;
            onDrained();
            Sinks.@Nullable Empty<Void> sink = drained;
            if (sink != null) {
                sink.tryEmitEmpty();
            }
        }
    }
}
