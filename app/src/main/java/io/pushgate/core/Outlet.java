package io.pushgate.core;

import reactor.core.publisher.Flux;

/**
 * Where a session's frames go: by default a bounded {@link Outbox} that a streaming transport drains
 * as a {@link Flux}, or a {@link Doorbell} for long-poll, whose client reads from history and only
 * needs waking. A transport may supply its own (see {@link Transport#outlet(int)}), for example one that
 * writes straight to its socket.
 *
 * <p>Contract for every implementation: {@link #offer} and {@link #offerFirst} may be called from any
 * thread, concurrently; frames leave in the order offered, except that {@code offerFirst} frames go
 * ahead of frames not yet written; an offer never blocks. Live frames ({@link #offer}) wait up to the
 * capacity the outlet was made with; {@code offerFirst} frames (welcome, replayed and held messages)
 * have an allowance of {@link #FIRST_ALLOWANCE} capacities on top, and while they wait live frames
 * may still fill a capacity of their own. Past either, {@link Offer#FULL}, and the session is closed as
 * slow. So a session never holds more than {@code (1 + FIRST_ALLOWANCE) * capacity} frames, whatever
 * its client does or fails to read.
 *
 * <p>Why an allowance rather than one shared bound: a client closed as slow had a full queue it never
 * read, so it has missed at least a capacity's worth when it resumes; a replay held to the same bound
 * could never fit, and every such resume would end in a {@code reset}. Replayed frames are the history's
 * own, shared, so the allowance costs a queue node per frame, not a copy.
 */
public interface Outlet {

    /** Capacities that welcome, replayed and held frames may take on top of the live capacity. */
    int FIRST_ALLOWANCE = 2;

    enum Offer { QUEUED, FULL, CLOSED }

    Offer offer(Frame frame);

    /** Ahead of frames not yet written, within the allowance: welcome, replayed and held messages. */
    Offer offerFirst(Frame frame);

    /**
     * How many more {@link #offerFirst} frames fit now (a snapshot: concurrent offers may take the room).
     * A replay larger than this is not queued; the node sends a reset instead.
     */
    int room();

    /** No more frames will be offered; the outlet ends after writing what it holds. */
    void complete();

    /** The frames, for the one transport subscriber; empty when the outlet delivers them itself. */
    Flux<Frame> frames();
}
