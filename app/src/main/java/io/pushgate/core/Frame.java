package io.pushgate.core;

/**
 * One outbound unit, encoded once and shared by every session it goes to.
 *
 * @param json  the complete JSON text of the frame, UTF-8; never mutated after construction
 * @param id    the message id for message frames (SSE {@code id:}), or {@code null} for control frames
 * @param event the message event for message frames (SSE {@code event:}), or {@code null}
 */
public record Frame(byte[] json, @org.jspecify.annotations.Nullable String id,
                    @org.jspecify.annotations.Nullable String event) {

    public static Frame control(byte[] json) {
        return new Frame(json, null, null);
    }
}
