package io.pushgate.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The soak's memory rule: after the settle period, RSS and heap after a full GC may not grow by more
 * than the limit (5 %) over their level at its end.
 *
 * <p>A level is the median of three consecutive samples, not one sample: one sample can sit several
 * percent off for what is in flight at that moment (a slow reader's queue of 8 KiB frames, the mix of
 * large messages in the capped history), and a 30-minute run measured single samples within -4 % and
 * +5.7 % of the first with no trend. Growth that lasts, which is what a leak looks like, moves the
 * median as much as the samples; one that a single sample shows and the next two do not, does not.
 * The baseline is the median of the first three samples at or after the settle period; each later
 * window of three is compared with it. With fewer than four samples there (one window), each sample stands
 * alone.
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
        List<Sample> after = new ArrayList<>();
        for (Sample s : samples) {
            if (s.seconds() >= settleSeconds) {
                after.add(s);
            }
        }
        return compare(after.size() >= 4 ? medians(after) : after, settleSeconds, limitPct);
    }

    /** Each window of three consecutive samples as one: the median of each measure, timed at the window's middle. */
    static List<Sample> medians(List<Sample> samples) {
        List<Sample> levels = new ArrayList<>();
        for (int i = 0; i + 2 < samples.size(); i++) {
            Sample a = samples.get(i);
            Sample b = samples.get(i + 1);
            Sample c = samples.get(i + 2);
            levels.add(new Sample(b.seconds(), median(a.rssKib(), b.rssKib(), c.rssKib()),
                    median(a.heapKib(), b.heapKib(), c.heapKib())));
        }
        return levels;
    }

    private static long median(long a, long b, long c) {
        if (a <= 0 || b <= 0 || c <= 0) {
            return -1; // one unknown makes the window unknown
        }
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /** The first level is the baseline; no later one may exceed it by more than the limit. */
    private static Verdict compare(List<Sample> levels, double settleSeconds, double limitPct) {
        List<String> failures = new ArrayList<>();
        if (levels.size() < 2) {
            failures.add(String.format(Locale.ROOT, "memory: no two samples at or after the settle period (%.0f s) to compare",
                    settleSeconds));
            return new Verdict(levels.isEmpty() ? null : levels.get(0), 0, 0, 0, failures);
        }
        Sample base = levels.get(0);
        double rssMax = 0;
        double heapMax = 0;
        Sample rssWorst = null;
        Sample heapWorst = null;
        boolean rssUnknown = base.rssKib() <= 0;
        boolean heapUnknown = base.heapKib() <= 0;
        for (int i = 1; i < levels.size(); i++) {
            Sample s = levels.get(i);
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
                    "memory: RSS grew %.1f%% (limit %.1f%%; medians of 3 samples): %.1f MiB at %.1f min against %.1f MiB at %.1f min",
                    rssMax, limitPct, rssWorst.rssKib() / 1024.0, rssWorst.seconds() / 60, base.rssKib() / 1024.0,
                    base.seconds() / 60));
        }
        if (heapWorst != null && heapMax > limitPct) {
            failures.add(String.format(Locale.ROOT,
                    "memory: heap after GC grew %.1f%% (limit %.1f%%; medians of 3 samples): %.1f MiB at %.1f min against %.1f MiB at %.1f min",
                    heapMax, limitPct, heapWorst.heapKib() / 1024.0, heapWorst.seconds() / 60, base.heapKib() / 1024.0,
                    base.seconds() / 60));
        }
        return new Verdict(base, rssMax, heapMax, levels.size() - 1, failures);
    }

    private static double pct(long value, long base) {
        return (value - base) * 100.0 / base;
    }
}
