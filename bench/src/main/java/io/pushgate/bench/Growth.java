package io.pushgate.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The soak's memory rule: the first sample at or after the settle period is the baseline, and no later
 * sample's RSS or heap after a full GC may exceed it by more than the limit (5 %).
 */
final class Growth {

    /** One sample: seconds since the load started, the server's RSS and heap used after a full GC (KiB, -1 unknown). */
    record Sample(double seconds, long rssKib, long heapKib) {
    }

    /**
     * @param baseline      the first sample at or after the settle period, or null
     * @param rssGrowthPct  the largest RSS growth over the baseline of a later sample, % (0 without one)
     * @param heapGrowthPct the same for the heap after GC
     * @param failures      why the rule failed, one clear line each; empty when it held
     */
    record Verdict(Sample baseline, double rssGrowthPct, double heapGrowthPct, int compared, List<String> failures) {
        boolean passed() {
            return failures.isEmpty();
        }
    }

    private Growth() {
    }

    static Verdict check(List<Sample> samples, double settleSeconds, double limitPct) {
        List<String> failures = new ArrayList<>();
        Sample base = null;
        int at = 0;
        for (; at < samples.size(); at++) {
            if (samples.get(at).seconds() >= settleSeconds) {
                base = samples.get(at);
                break;
            }
        }
        if (base == null || at == samples.size() - 1) {
            failures.add(String.format(Locale.ROOT, "memory: no two samples at or after the settle period (%.0f s) to compare",
                    settleSeconds));
            return new Verdict(base, 0, 0, 0, failures);
        }
        double rssMax = 0;
        double heapMax = 0;
        Sample rssWorst = null;
        Sample heapWorst = null;
        boolean rssUnknown = base.rssKib() <= 0;
        boolean heapUnknown = base.heapKib() <= 0;
        for (int i = at + 1; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (s.rssKib() <= 0 || base.rssKib() <= 0) {
                rssUnknown = true;
            } else {
                double g = pct(s.rssKib(), base.rssKib());
                if (rssWorst == null || g > rssMax) {
                    rssMax = g;
                    rssWorst = s;
                }
            }
            if (s.heapKib() <= 0 || base.heapKib() <= 0) {
                heapUnknown = true;
            } else {
                double g = pct(s.heapKib(), base.heapKib());
                if (heapWorst == null || g > heapMax) {
                    heapMax = g;
                    heapWorst = s;
                }
            }
        }
        if (rssUnknown) {
            failures.add("memory: the server's RSS was not measured in every sample (--server-pid?)");
        }
        if (heapUnknown) {
            failures.add("memory: the server's heap after GC was not measured in every sample (jcmd, same user?)");
        }
        if (rssWorst != null && rssMax > limitPct) {
            failures.add(String.format(Locale.ROOT,
                    "memory: RSS grew %.1f%% (limit %.1f%%): %.1f MiB at %.1f min against %.1f MiB at %.1f min",
                    rssMax, limitPct, rssWorst.rssKib() / 1024.0, rssWorst.seconds() / 60, base.rssKib() / 1024.0,
                    base.seconds() / 60));
        }
        if (heapWorst != null && heapMax > limitPct) {
            failures.add(String.format(Locale.ROOT,
                    "memory: heap after GC grew %.1f%% (limit %.1f%%): %.1f MiB at %.1f min against %.1f MiB at %.1f min",
                    heapMax, limitPct, heapWorst.heapKib() / 1024.0, heapWorst.seconds() / 60, base.heapKib() / 1024.0,
                    base.seconds() / 60));
        }
        return new Verdict(base, rssMax, heapMax, samples.size() - at - 1, failures);
    }

    private static double pct(long value, long base) {
        return (value - base) * 100.0 / base;
    }
}
