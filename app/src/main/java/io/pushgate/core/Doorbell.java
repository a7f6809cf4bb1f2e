package io.pushgate.core;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Flux;

/**
 * The outlet of a long-poll session. Frames are not kept (the poll reads them from history by cursor,
 * so a lost answer loses nothing); an offer only wakes the poll that is waiting, if any.
 */
final class Doorbell implements Outlet {

    private @Nullable Runnable waiter;
    private boolean closed;

    @Override
    public Offer offer(Frame frame) {
        Runnable wake;
        synchronized (this) {
            if (closed) {
                return Offer.CLOSED;
            }
            wake = waiter;
            waiter = null;
        }
        if (wake != null) {
            wake.run();
        }
        return Offer.QUEUED;
    }

    @Override
    public Offer offerFirst(Frame frame) {
        return offer(frame);
    }

    /** Holds nothing: a poller reads history, so a bell always has room. */
    @Override
    public int room() {
        return Integer.MAX_VALUE;
    }

    /** Runs {@code wake} once, at the next offer or close. Replaces an earlier waiter. */
    synchronized boolean arm(Runnable wake) {
        if (closed) {
            return false;
        }
        waiter = wake;
        return true;
    }

    synchronized void disarm(Runnable wake) {
        if (waiter == wake) {
            waiter = null;
        }
    }

    @Override
    public void complete() {
        Runnable wake;
        synchronized (this) {
            closed = true;
            wake = waiter;
            waiter = null;
        }
        if (wake != null) {
            wake.run();
        }
    }

    @Override
    public Flux<Frame> frames() {
        return Flux.empty();
    }
}
