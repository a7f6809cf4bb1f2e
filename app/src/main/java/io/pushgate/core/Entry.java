package io.pushgate.core;


/**
 * One message as a stream keeps it: the frame sessions received, shared, never copied.
 *
 * @param keepUntil    epoch ms until which the message must be kept: the window, or longer for a {@code ttl}
 * @param partition    on a partitioned cluster log, the partition whose copy it is; -1 otherwise
 * @param partitionSeq its number in that partition (its id's), -1 otherwise
 */
public record Entry(long seq, long ts, long keepUntil, Frame frame, int partition, long partitionSeq) {

    public Entry(long seq, long ts, long keepUntil, Frame frame) {
        this(seq, ts, keepUntil, frame, -1, -1);
    }
}
