package io.pushgate.core;

import org.jspecify.annotations.Nullable;


/**
 * One message as a stream keeps it: the frame sessions received, shared, never copied.
 *
 * @param keepUntil    epoch ms until which the message must be kept: the window, or longer for a {@code ttl}
 * @param partition on a partitioned cluster log, the partition whose copy it is; -1 otherwise
 * @param copy      that copy's cursor in the partition (its id), {@code null} otherwise
 */
public record Entry(long seq, long ts, long keepUntil, Frame frame, int partition, @Nullable Cursor copy) {

    public Entry(long seq, long ts, long keepUntil, Frame frame) {
        this(seq, ts, keepUntil, frame, -1, null);
    }
}
