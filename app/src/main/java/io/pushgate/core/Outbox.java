package io.pushgate.core;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * A session's bounded outbound queue: publishers on any thread offer, the transport drains at the
 * pace its socket allows.
 *
 * <p>Built on a unicast {@link Sinks.Many} over a {@link BoundedQueue}. Offers are serialised by this
 * object's monitor because a sink rejects concurrent emissions; the critical section is a queue offer
 * plus, when the transport has demand, handing the frame on, so contention exists only between two
 * publishers hitting the same session at once. A full queue is reported, never grown.
 */
final class Outbox {

    private final Sinks.Many<Frame> sink;

    Outbox(int capacity) {
        this.sink = Sinks.many().unicast().onBackpressureBuffer(new BoundedQueue<>(capacity));
    }

    /** Returns {@link Offer#FULL} when the queue is at capacity, {@link Offer#CLOSED} once completed. */
    synchronized Offer offer(Frame frame) {
        Sinks.EmitResult result = sink.tryEmitNext(frame);
        if (result.isSuccess()) {
            return Offer.QUEUED;
        }
        // a unicast sink with no subscriber yet reports a full queue as FAIL_ZERO_SUBSCRIBER
        return result == Sinks.EmitResult.FAIL_OVERFLOW || result == Sinks.EmitResult.FAIL_ZERO_SUBSCRIBER
                ? Offer.FULL : Offer.CLOSED;
    }

    synchronized void complete() {
        sink.tryEmitComplete();
    }

    /** The frames, for exactly one subscriber: the transport. */
    Flux<Frame> frames() {
        return sink.asFlux();
    }

    enum Offer { QUEUED, FULL, CLOSED }
}
