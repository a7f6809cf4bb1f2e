package io.pushgate.core;

import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;

/**
 * One outbound unit, encoded once and shared by every session it goes to.
 *
 * <p>{@link #json()} is the frame as WebSocket and long-poll clients get it. A transport that wraps it
 * differently (SSE adds {@code id:}/{@code event:} lines, Socket.IO makes an event packet) derives its bytes once per frame through
 * {@link #derived(Function)}, so that wrapping is also done once per publish, not once per session.
 */
public final class Frame {

    private final byte[] json;
    private final @Nullable String id;
    private final @Nullable String event;
    private volatile @Nullable Derived derived;
    /**
     * Where the first write of this frame reports its fan-out latency, or {@code null}: set before the
     * frame is queued to any session (the queue's hand-off makes it visible), taken by one writer.
     */
    private volatile @Nullable LongConsumer latencySink;
    private long acceptedNanos;
    private static final AtomicReferenceFieldUpdater<Frame, LongConsumer> SINK =
            AtomicReferenceFieldUpdater.newUpdater(Frame.class, LongConsumer.class, "latencySink");

    /**
     * @param json  the complete JSON text of the frame, UTF-8; never mutated after construction
     * @param id    the message id (a cursor) for message frames, or {@code null} for control frames
     * @param event the SSE event name: the message event for message frames, the frame type for control
     *              frames that SSE and long-poll clients get (welcome, reset, close), else {@code null}
     */
    public Frame(byte[] json, @Nullable String id, @Nullable String event) {
        this.json = json;
        this.id = id;
        this.event = event;
    }

    public static Frame control(byte[] json) {
        return new Frame(json, null, null);
    }

    public byte[] json() {
        return json;
    }

    public @Nullable String id() {
        return id;
    }

    public @Nullable String event() {
        return event;
    }

    /** Asks the first transport that writes this frame to report the time since {@code acceptedNanos}. */
    void sampleLatency(long acceptedNanos, LongConsumer sink) {
        this.acceptedNanos = acceptedNanos;
        this.latencySink = sink;
    }

    /** Drops a sample no write has taken yet. */
    void unsample() {
        if (latencySink != null) {
            latencySink = null;
        }
    }

    /**
     * Called by a transport right after it handed the frame to its socket: the first call for a sampled
     * frame reports the fan-out latency; every other call is one volatile read.
     */
    public void written() {
        LongConsumer sink = latencySink;
        if (sink != null && SINK.compareAndSet(this, sink, null)) {
            sink.accept(System.nanoTime() - acceptedNanos);
        }
    }

    /**
     * The transport-specific form of this frame (bytes, text), computed by the first caller and then
     * shared by every session. Each transport that wraps frames (SSE, Socket.IO) passes its own encoder,
     * always the same instance (a constant), and gets its own form. Racing first callers may both compute; one result
     * is kept, which is harmless for a pure function.
     */
    @SuppressWarnings("unchecked") // each encoder is the key of the form it made, so the cast is to its own result type
    public <T> T derived(Function<Frame, T> encode) {
        for (Derived d = derived; d != null; d = d.next()) {
            if (d.encode() == encode) {
                return (T) d.form();
            }
        }
        T form = encode.apply(this);
        derived = new Derived(encode, form, derived);
        return form;
    }

    private record Derived(Function<Frame, ?> encode, Object form, @Nullable Derived next) {
    }
}
