package io.pushgate.core;

import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * One outbound unit, encoded once and shared by every session it goes to.
 *
 * <p>{@link #json()} is the frame as WebSocket and long-poll clients get it. A transport that wraps it
 * differently (SSE adds {@code id:}/{@code event:} lines) derives its bytes once per frame through
 * {@link #derived(Function)}, so that wrapping is also done once per publish, not once per session.
 */
public final class Frame {

    private final byte[] json;
    private final @Nullable String id;
    private final @Nullable String event;
    /** Derived encodings, as (function, value) pairs; two transports use this at most. */
    private volatile Object @Nullable [] derived;

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
     * A transport-specific encoding of this frame, computed by the first caller and then shared by every
     * session. {@code encode} is the key: pass the same function object (a constant) every time.
     * Racing first callers may both compute; one result wins, which is harmless for pure functions.
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(Function<Frame, T> encode) {
        Object[] cache = derived;
        if (cache != null) {
            for (int i = 0; i < cache.length; i += 2) {
                if (cache[i] == encode) {
                    return (T) cache[i + 1];
                }
            }
        }
        T value = encode.apply(this);
        synchronized (this) {
            Object[] current = derived;
            int length = current == null ? 0 : current.length;
            Object[] next = new Object[length + 2];
            if (current != null) {
                System.arraycopy(current, 0, next, 0, length);
            }
            next[length] = encode;
            next[length + 1] = value;
            derived = next;
        }
        return value;
    }
}
