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
 * ahead of bounded frames not yet written; an offer never blocks, and bounded frames never exceed the
 * capacity the outlet was made with ({@link Offer#FULL} then, and the session is closed as slow).
 */
public interface Outlet {

    enum Offer { QUEUED, FULL, CLOSED }

    Offer offer(Frame frame);

    /** Outside the bound and ahead of bounded frames: welcome and replayed history. */
    Offer offerFirst(Frame frame);

    /** No more frames will be offered; the outlet ends after writing what it holds. */
    void complete();

    /** The frames, for the one transport subscriber; empty when the outlet delivers them itself. */
    Flux<Frame> frames();
}
