package io.pushgate.bench.jmh;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet;
import io.pushgate.core.Transport;

import reactor.core.publisher.Flux;

/**
 * A transport with no socket: each session gets an outlet that counts the frames offered to it and
 * keeps none, so a benchmark measures the core's fan-out and not a queue or a write.
 */
final class CountingTransport implements Transport {

    /** Frames offered to every outlet of this transport, welcome frames included. */
    final LongAdder frames = new LongAdder();

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
        return new CountingOutlet(frames);
    }

    /**
     * Counts per session, an atomic update of the session's own state as a real outlet's queue makes, and
     * into the transport's total (a {@link LongAdder}, so threads counting side by side do not contend).
     */
    static final class CountingOutlet implements Outlet {

        private final LongAdder total;
        private final AtomicLong offered = new AtomicLong();

        CountingOutlet(LongAdder total) {
            this.total = total;
        }

        @Override
        public Offer offer(Frame frame) {
            offered.incrementAndGet();
            total.increment();
            return Offer.QUEUED;
        }

        @Override
        public Offer offerFirst(Frame frame) {
            offered.incrementAndGet();
            total.increment();
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
