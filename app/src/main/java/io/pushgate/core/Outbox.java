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
final class Outbox implements Outlet {

    private final Sinks.Many<Frame> sink;
    private final BoundedQueue<Frame> queue;

    Outbox(int capacity) {
        this.queue = new BoundedQueue<>(capacity);
        this.sink = Sinks.many().unicast().onBackpressureBuffer(queue);
    }

    /**
     * Queues a frame ahead of frames not yet taken, within the same capacity: for the welcome and for a
     * replay of history, which must come before live frames. {@link Offer#FULL} when there is no room.
     */
    @Override
    public synchronized Outlet.Offer offerFirst(Frame frame) {
        queue.exemptNext();
        try {
            return map(sink.tryEmitNext(frame));
        } finally {
            queue.clearExempt();
        }
    }

    /** Returns {@link Offer#FULL} when the queue is at capacity, {@link Offer#CLOSED} once completed. */
    @Override
    public synchronized Outlet.Offer offer(Frame frame) {
        return map(sink.tryEmitNext(frame));
    }

    private static Outlet.Offer map(Sinks.EmitResult result) {
        if (result.isSuccess()) {
            return Outlet.Offer.QUEUED;
        }
        // a unicast sink with no subscriber yet reports a full queue as FAIL_ZERO_SUBSCRIBER
        return result == Sinks.EmitResult.FAIL_OVERFLOW || result == Sinks.EmitResult.FAIL_ZERO_SUBSCRIBER
                ? Outlet.Offer.FULL : Outlet.Offer.CLOSED;
    }

    @Override
    public synchronized void complete() {
        sink.tryEmitComplete();
    }

    @Override
    public int room() {
        return queue.room();
    }

    /** The frames, for exactly one subscriber: the transport. */
    @Override
    public Flux<Frame> frames() {
        return sink.asFlux();
    }
}
