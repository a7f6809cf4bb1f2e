package io.pushgate.bench.jmh;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet;
import io.pushgate.core.Transport;

import reactor.core.publisher.Flux;

/**
 * A transport with no socket: each session gets an outlet that counts the frames offered to it and
 * keeps none, so a benchmark measures the core's fan-out and not a queue or a write.
 *
 * <p>Each outlet counts into its own session's counter only; the total is summed over the outlets when a
 * benchmark asks for it, after its run. An earlier version also counted every frame into one
 * transport-wide {@code LongAdder}: an extra atomic per delivery that no real outlet makes, on a line that
 * both publishing threads wrote (until the adder grew cells), a fifth to a quarter of a group fan-out's
 * single-thread profile. That cost was the benchmark's, not the node's.
 */
final class CountingTransport implements Transport {

    /** Every outlet made, when {@code tracked}; churn benchmarks make millions and sum nothing. */
    private final Queue<CountingOutlet> outlets = new ConcurrentLinkedQueue<>();
    private final boolean tracked;

    /** @param tracked whether {@link #frames()} can be asked (keeps every outlet) */
    CountingTransport(boolean tracked) {
        this.tracked = tracked;
    }

    /** Frames offered to every outlet of this transport, welcome frames included; call once the publishers stopped. */
    long frames() {
        if (!tracked) {
            throw new IllegalStateException("this transport keeps no outlets");
        }
        long sum = 0;
        for (CountingOutlet outlet : outlets) {
            sum += outlet.offered.get();
        }
        return sum;
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public void close(Disconnect disconnect) {
        // nothing to end; the benchmark tells the node the session is gone itself
    }

    @Override
    public Outlet outlet(int capacity) {
        CountingOutlet outlet = new CountingOutlet();
        if (tracked) {
            outlets.add(outlet);
        }
        return outlet;
    }

    /** Counts per session: an atomic update of the session's own state, as a real outlet's queue makes. */
    static final class CountingOutlet implements Outlet {

        final AtomicLong offered = new AtomicLong();

        @Override
        public Offer offer(Frame frame) {
            offered.incrementAndGet();
            return Offer.QUEUED;
        }

        @Override
        public Offer offerFirst(Frame frame) {
            offered.incrementAndGet();
            return Offer.QUEUED;
        }

        @Override
        public int room() {
            return Integer.MAX_VALUE;
        }

        @Override
        public void complete() {
        }

        @Override
        public Flux<Frame> frames() {
            return Flux.empty();
        }
    }
}
