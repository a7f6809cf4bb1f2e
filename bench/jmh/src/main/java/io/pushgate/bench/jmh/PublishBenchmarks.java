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
 * {@code PushNode.publish} on one node with {@code sessions} counting sessions (see {@link CoreFixture}):
 * to one uid, to one group of 100, and to everyone. Throughput is the node's, summed over the threads
 * ({@code -t 1}, {@code -t 2}): with {@code -t 2} each thread publishes to its own half of the uids or
 * groups (consecutive ones, see {@link Picker}), so nothing but the node's own design keeps the threads
 * from running side by side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class PublishBenchmarks {

    @Param("1000")
    public int sessions;

    CoreFixture fixture;
    Publication[] toUid;
    Publication[] toGroup;
    Publication toAll;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new CoreFixture(sessions, true);
        toUid = new Publication[sessions];
        for (int i = 0; i < sessions; i++) {
            toUid[i] = new Publication(Target.uid("u" + i), "message", CoreFixture.DATA, 0);
        }
        toGroup = new Publication[CoreFixture.groupCount(sessions)];
        for (int g = 0; g < toGroup.length; g++) {
            toGroup[g] = new Publication(Target.group("g" + g), "message", CoreFixture.DATA, 0);
        }
        toAll = new Publication(Target.everyone(), "message", CoreFixture.DATA, 0);
    }

    /** Every frame the node counted as delivered reached an outlet once, besides each session's welcome. */
    @TearDown(Level.Trial)
    public void tearDown() {
        long offered = fixture.transport.frames();
        long expected = fixture.node.deliveredCount() + sessions;
        fixture.close();
        if (offered != expected) {
            throw new IllegalStateException("outlets were offered " + offered + " frames, the node counted "
                    + expected + " (deliveries and welcomes)");
        }
    }

    /**
     * Which uid or group a thread publishes to next: thread i of n takes the i-th of n blocks of consecutive
     * ones, in turn. Blocks, not every n-th one: thread 0 on even uids and thread 1 on odd ones, in step,
     * delivered to neighbouring sessions at the same moment, whose objects were allocated one after the other
     * and share cache lines, which moved between the cores on every publish (+25–30 % for two threads of uid
     * push when the machine's cores are far apart, docs/performance.md). A server's sessions are allocated by
     * their own connects, and a publish picks its uid for reasons of its own.
     */
    @State(Scope.Thread)
    public static class Picker {
        int block;
        int blocks;
        int next;

        @Setup(Level.Trial)
        public void setUp(ThreadParams thread) {
            block = thread.getThreadIndex();
            blocks = thread.getThreadCount();
        }

        int next(int bound) {
            int size = Math.max(1, bound / blocks);
            int i = Math.min(bound - 1, block * size + next);
            next = next + 1 < size ? next + 1 : 0;
            return i;
        }
    }

    @Benchmark
    public PublishResult uidPush(Picker picker) {
        return fixture.node.publish(toUid[picker.next(toUid.length)]);
    }

    @Benchmark
    public PublishResult groupFanout(Picker picker) {
        return fixture.node.publish(toGroup[picker.next(toGroup.length)]);
    }

    @Benchmark
    public PublishResult broadcast() {
        return fixture.node.publish(toAll);
    }
}
