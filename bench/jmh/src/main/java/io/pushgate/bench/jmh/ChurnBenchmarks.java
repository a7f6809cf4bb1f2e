package io.pushgate.bench.jmh;

import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Session;
import io.pushgate.core.Target;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Connect and disconnect churn on a node with {@code sessions} counting sessions, sampled one operation
 * at a time so the percentiles show how long a connect waits.
 *
 * <ul>
 *   <li>{@code churn}: one thread broadcasts to everyone back to back while another connects a session
 *       (greeting, one group) and disconnects it. The {@code connectDisconnect} percentiles against
 *       {@link #connectAlone}'s are the wait a broadcast imposes on a connect; the {@code broadcast}
 *       samples are how long a whole broadcast takes (its publisher delivers it shard by shard; a connect
 *       waits at most for one shard's share, see docs/cores.md). The group always runs two threads, with {@code -t 1} as with {@code -t 2}.</li>
 *   <li>{@code connectAlone}: the same connect and disconnect with no broadcast running.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ChurnBenchmarks {

    @Param("1000")
    public int sessions;

    CoreFixture fixture;
    final Publication toAll = new Publication(Target.everyone(), "message", CoreFixture.DATA, 0);

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new CoreFixture(sessions, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    /** A thread's own uid, so its sessions never meet the per-uid limit. */
    @State(Scope.Thread)
    public static class Client {
        ClientClaims claims;

        @Setup(Level.Trial)
        public void setUp(ThreadParams thread) {
            claims = CoreFixture.claims("churn" + thread.getThreadIndex(), Set.of("churn"));
        }
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public PublishResult broadcast() {
        return fixture.node.publish(toAll);
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public Session connectDisconnect(Client client) {
        return connectAndDisconnect(client);
    }

    @Benchmark
    public Session connectAlone(Client client) {
        return connectAndDisconnect(client);
    }

    private Session connectAndDisconnect(Client client) {
        Session session = fixture.connect(client.claims);
        fixture.node.disconnected(session);
        return session;
    }
}
