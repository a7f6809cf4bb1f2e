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
 * ahead of frames not yet written; an offer never blocks, and the frames waiting, {@code offerFirst}
 * frames included, never exceed the capacity the outlet was made with ({@link Offer#FULL} then, and the
 * session is closed as slow). No path lets a client that reads nothing make an outlet hold more.
 */
public interface Outlet {

    enum Offer { QUEUED, FULL, CLOSED }

    Offer offer(Frame frame);

    /** Ahead of frames not yet written, counted in the same capacity: welcome and replayed history. */
    Offer offerFirst(Frame frame);

    /**
     * How many more frames fit now (a snapshot: concurrent offers may take the room). A replay larger
     * than this is not queued; the node sends a reset instead.
     */
    int room();

    /** No more frames will be offered; the outlet ends after writing what it holds. */
    void complete();

    /** The frames, for the one transport subscriber; empty when the outlet delivers them itself. */
    Flux<Frame> frames();
}
