package io.pushgate.bench.jmh;

import java.util.Collection;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmarks compile and run: one publish benchmark and the churn group, briefly and in this JVM
 * (no fork), so the build catches a benchmark the core's changes broke without paying for a real run.
 * The figures mean nothing here; docs/performance.md says how to get real ones.
 */
class CoreBenchmarksSmokeTests {

    @Test
    void uidPushAndChurnRun() throws Exception {
        Options options = new OptionsBuilder()
                .include(PublishBenchmarks.class.getName() + ".uidPush$")
                .include(ChurnBenchmarks.class.getName() + ".churn$")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(500))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(2, results.size(), "uidPush and the churn group ran");
        for (RunResult result : results) {
            assertTrue(result.getPrimaryResult().getSampleCount() > 0, result.getParams().getBenchmark() + " sampled");
        }
    }
}
