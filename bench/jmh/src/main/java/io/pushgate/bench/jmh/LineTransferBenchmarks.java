package io.pushgate.bench.jmh;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

/**
 * What one cache line costs to move from one core to the other on this machine now: two threads hand a
 * flag back and forth, each waiting for its turn by reading it and then writing it; an operation is one
 * round, the line to the other core and back. Not a benchmark of pushgate: a probe to run beside
 * {@link PublishBenchmarks} with {@code -t 2}, whose gain over one thread depends on this figure (each line
 * the two publishing threads share costs half of it per publish). On a virtual machine it changes with
 * where the host runs the two virtual cores: on this machine a round trip of 65–160 ns in some periods and
 * 380–520 ns in others (docs/performance.md, "The slow mode is the machine's").
 *
 * <p>JMH's own pattern for it (its sample on {@code Control}): the loop ends when the measurement does, so
 * neither thread waits for a partner that stopped.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class LineTransferBenchmarks {

    /** Whose turn it is: 0 the ping's, 1 the pong's. */
    final AtomicInteger turn = new AtomicInteger();

    @Benchmark
    @Group("handover")
    @GroupThreads(1)
    public void ping(Control control) {
        handOver(control, 0, 1);
    }

    @Benchmark
    @Group("handover")
    @GroupThreads(1)
    public void pong(Control control) {
        handOver(control, 1, 0);
    }

    /** Waits for {@code mine} to be the turn, then gives it to {@code next}. */
    private void handOver(Control control, int mine, int next) {
        while (!control.stopMeasurement && turn.getAcquire() != mine) {
            Thread.onSpinWait();
        }
        turn.setRelease(next);
    }
}
