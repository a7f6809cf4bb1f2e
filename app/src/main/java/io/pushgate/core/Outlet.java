package io.pushgate.core;

import reactor.core.publisher.Flux;

/**
 * Where a session's frames go: a bounded {@link Outbox} for streaming transports, or a
 * {@link Doorbell} for long-poll, whose client reads from history and only needs waking.
 */
interface Outlet {

    enum Offer { QUEUED, FULL, CLOSED }

    Offer offer(Frame frame);

    /** Outside the bound and ahead of bounded frames: welcome and replayed history. */
    Offer offerFirst(Frame frame);

    void complete();

    /** The frames, for the one transport subscriber; empty for a doorbell. */
    Flux<Frame> frames();
}
