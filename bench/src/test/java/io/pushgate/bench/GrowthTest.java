package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The soak's memory rule: nothing after the settle period more than 5 % above the first sample after it. */
class GrowthTest {

    private static Growth.Sample at(double minutes, long rssMib, long heapMib) {
        return new Growth.Sample(minutes * 60, rssMib * 1024, heapMib * 1024);
    }

    @Test
    void growthBeforeTheSettlePeriodDoesNotCount() {
        List<Growth.Sample> samples = List.of(at(0, 300, 40), at(1, 500, 90), at(5, 600, 100), at(6, 610, 101),
                at(30, 620, 104));
        Growth.Verdict v = Growth.check(samples, 300, 5);
        assertTrue(v.passed(), v.failures().toString());
        assertEquals(300, v.baseline().seconds());
        assertEquals(2, v.compared());
        assertEquals(20.0 / 600 * 100, v.rssGrowthPct(), 1e-9);
        assertEquals(4.0, v.heapGrowthPct(), 1e-9);
    }

    @Test
    void theBaselineIsTheFirstSampleAtOrAfterTheSettlePeriod() {
        // settle 4.5 min: the 5-minute sample is the baseline, the 4-minute one is not compared
        List<Growth.Sample> samples = List.of(at(4, 100, 10), at(5, 600, 100), at(6, 600, 100));
        Growth.Verdict v = Growth.check(samples, 270, 5);
        assertEquals(300, v.baseline().seconds());
        assertTrue(v.passed());
    }

    @Test
    void exactlyTheLimitPassesAndJustOverFails() {
        assertTrue(Growth.check(List.of(at(5, 1000, 200), at(6, 1050, 210)), 300, 5).passed());
        Growth.Verdict over = Growth.check(List.of(at(5, 1000, 200), at(6, 1051, 210)), 300, 5);
        assertFalse(over.passed());
        assertEquals(1, over.failures().size());
        assertTrue(over.failures().get(0).startsWith("memory: RSS grew 5.1%"), over.failures().get(0));
    }

    @Test
    void heapGrowthAloneFailsAndAnyLaterSampleCountsNotOnlyTheLast() {
        Growth.Verdict v = Growth.check(List.of(at(5, 600, 100), at(10, 600, 110), at(15, 600, 100)), 300, 5);
        assertFalse(v.passed());
        assertEquals(10.0, v.heapGrowthPct(), 1e-9);
        assertEquals(0.0, v.rssGrowthPct(), 1e-9);
        assertEquals(1, v.failures().size());
        assertTrue(v.failures().get(0).contains("heap after GC grew 10.0%"), v.failures().get(0));
        assertTrue(v.failures().get(0).contains("at 10.0 min"), v.failures().get(0));
    }

    @Test
    void bothGrowingGiveTwoLines() {
        Growth.Verdict v = Growth.check(List.of(at(5, 600, 100), at(6, 700, 120)), 300, 5);
        assertEquals(2, v.failures().size());
    }

    @Test
    void shrinkingIsFine() {
        Growth.Verdict v = Growth.check(List.of(at(5, 600, 100), at(6, 500, 80)), 300, 5);
        assertTrue(v.passed());
        assertTrue(v.rssGrowthPct() < 0);
    }

    @Test
    void withoutTwoSamplesAfterTheSettlePeriodItFails() {
        assertFalse(Growth.check(List.of(at(0, 600, 100), at(1, 600, 100)), 300, 5).passed());
        Growth.Verdict one = Growth.check(List.of(at(0, 600, 100), at(5, 600, 100)), 300, 5);
        assertFalse(one.passed());
        assertTrue(one.failures().get(0).contains("no two samples"), one.failures().get(0));
        assertNull(Growth.check(List.of(), 300, 5).baseline());
    }

    @Test
    void anUnmeasuredHeapFails() {
        Growth.Verdict v = Growth.check(List.of(new Growth.Sample(300, 600 * 1024, 100 * 1024),
                new Growth.Sample(360, 600 * 1024, -1)), 300, 5);
        assertFalse(v.passed());
        assertTrue(v.failures().get(0).contains("heap after GC was not measured"), v.failures().get(0));
    }

    @Test
    void oneSampleOffTheLevelDoesNotFailButGrowthThatLastsDoes() {
        // the 30-minute run's heap after GC, MiB, from minute 5 on: one sample 5.7 % over the first, no trend
        long[] heap = {161, 167, 155, 161, 162, 161, 168, 165, 165, 159, 167, 159, 159, 161, 165, 167, 165, 167, 170,
                160, 162, 164, 165, 167, 160, 168};
        List<Growth.Sample> steady = new java.util.ArrayList<>();
        List<Growth.Sample> leaking = new java.util.ArrayList<>();
        for (int i = 0; i < heap.length; i++) {
            steady.add(at(5 + i, 700, heap[i]));
            leaking.add(at(5 + i, 700, heap[i] + i)); // 1 MiB more a minute, every minute
        }
        Growth.Verdict ok = Growth.check(steady, 300, 5);
        assertTrue(ok.passed(), ok.failures().toString());
        assertTrue(ok.heapGrowthPct() < 5, "level growth " + ok.heapGrowthPct());
        Growth.Verdict leak = Growth.check(leaking, 300, 5);
        assertFalse(leak.passed());
        assertTrue(leak.failures().get(0).contains("medians of 3 samples"), leak.failures().get(0));
    }
}
