package io.pushgate.core;


/**
 * One message as a stream keeps it: the frame sessions received, shared, never copied.
 *
 * @param keepUntil epoch ms until which the message must be kept: the window, or longer for a {@code ttl}
 */
public record Entry(long seq, long ts, long keepUntil, Frame frame) {
}
