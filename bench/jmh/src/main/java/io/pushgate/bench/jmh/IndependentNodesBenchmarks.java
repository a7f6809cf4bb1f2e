package io.pushgate.bench.jmh;

import java.util.concurrent.TimeUnit;

import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Target;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The machine's own ceiling for {@link PublishBenchmarks}: the same publishes, but each thread on a node
 * of its own that no other thread touches, holding its share of the sessions ({@code sessions / threads},
 * so the node-wide live set, history included, is the same as in {@link PublishBenchmarks}). Nothing is
 * shared between the threads but the JVM (its heap, collector and compiler) and the machine, so what
 * {@code -t 2} gains over {@code -t 1} here is the most any design of one shared node could gain with
 * the same code per publish, the same bytes allocated and the same history kept. Not a design to adopt:
 * a node split this way would lose one order across a session's streams (see docs/cores.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class IndependentNodesBenchmarks {

    @Param("1000")
    public int sessions;

    CoreFixture fixture;
    int own;
    Publication[] toUid;
    Publication[] toGroup;
    int nextUid;
    int nextGroup;

    @Setup(Level.Trial)
    public void setUp(ThreadParams thread) {
        own = sessions / thread.getThreadCount();
        fixture = new CoreFixture(own, true);
        toUid = new Publication[own];
        for (int i = 0; i < own; i++) {
            toUid[i] = new Publication(Target.uid("u" + i), "message", CoreFixture.DATA, 0);
        }
        toGroup = new Publication[CoreFixture.groupCount(own)];
        for (int g = 0; g < toGroup.length; g++) {
            toGroup[g] = new Publication(Target.group("g" + g), "message", CoreFixture.DATA, 0);
        }
    }

    /** As {@link PublishBenchmarks#tearDown}: every delivery reached an outlet once, besides the welcomes. */
    @TearDown(Level.Trial)
    public void tearDown() {
        long offered = fixture.transport.frames();
        long expected = fixture.node.deliveredCount() + own;
        fixture.close();
        if (offered != expected) {
            throw new IllegalStateException("outlets were offered " + offered + " frames, the node counted "
                    + expected + " (deliveries and welcomes)");
        }
    }

    @Benchmark
    public PublishResult uidPush() {
        Publication p = toUid[nextUid];
        nextUid = nextUid + 1 == toUid.length ? 0 : nextUid + 1;
        return fixture.node.publish(p);
    }

    @Benchmark
    public PublishResult groupFanout() {
        Publication p = toGroup[nextGroup];
        nextGroup = nextGroup + 1 == toGroup.length ? 0 : nextGroup + 1;
        return fixture.node.publish(p);
    }
}
