package io.pushgate.core;

import java.util.function.Function;

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
