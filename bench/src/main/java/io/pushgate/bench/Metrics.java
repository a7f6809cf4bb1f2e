package io.pushgate.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Counters and latency recorders shared by every event loop; read by the progress printer and the report. */
final class Metrics {

    /** Latencies in µs, up to 10 minutes, 3 significant digits. */
    static final long MAX_MICROS = 600_000_000L;

    final AtomicInteger open = new AtomicInteger();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder connectRetries = new LongAdder();
    /** Sessions the server closed, or that dropped, while we still wanted them. */
    final LongAdder disconnects = new LongAdder();
    /** Close codes of those disconnects (0: the connection dropped without a close frame or event). */
    final java.util.concurrent.ConcurrentSkipListMap<Integer, LongAdder> closeCodes = new java.util.concurrent.ConcurrentSkipListMap<>();
    final LongAdder received = new LongAdder();
    final LongAdder duplicated = new LongAdder();
    /** Messages published by another generator process (broadcast, shared groups): not checked here. */
    final LongAdder foreign = new LongAdder();
    /** Soak: a first delivery whose message id is not after the last one of its stream on that session. */
    final LongAdder outOfOrder = new LongAdder();
    /** Soak: resumes answered with {@code reset}, and those whose cursor was younger than the history window. */
    final LongAdder resets = new LongAdder();
    final LongAdder resetsInWindow = new LongAdder();
    /** Pusher: {@code pusher:error} and {@code pusher:subscription_error} frames received. */
    final LongAdder pusherErrors = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder published = new LongAdder();
    final LongAdder publishErrors = new LongAdder();
    final LongAdder serverReached = new LongAdder();
    final AtomicInteger inflight = new AtomicInteger();
    /** Talk: send frames written, and the replies to them by outcome (error replies by code). */
    final LongAdder clientMessages = new LongAdder();
    final LongAdder repliesOk = new LongAdder();
    final LongAdder repliesError = new LongAdder();
    final java.util.concurrent.ConcurrentSkipListMap<String, LongAdder> replyErrorCodes = new java.util.concurrent.ConcurrentSkipListMap<>();

    final Recorder latency = new Recorder(MAX_MICROS, 3);
    final Recorder apiLatency = new Recorder(MAX_MICROS, 3);
    /** Totals of the measured phase; written only by the progress thread. */
    final Histogram latencyTotal = new Histogram(MAX_MICROS, 3);
    final Histogram apiLatencyTotal = new Histogram(MAX_MICROS, 3);

    void disconnected(int code) {
        disconnects.increment();
        closeCodes.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    void replyError(String code) {
        repliesError.increment();
        replyErrorCodes.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    /** {@code "no_backend:120 rate_limited:3"}, or empty. */
    String replyErrorSummary() {
        StringBuilder b = new StringBuilder();
        replyErrorCodes.forEach((code, n) -> b.append(b.length() > 0 ? " " : "").append(code).append(':').append(n.sum()));
        return b.toString();
    }

    /** {@code "4408:3 1006:1"}, or empty. */
    String closeCodeSummary() {
        StringBuilder b = new StringBuilder();
        closeCodes.forEach((code, n) -> b.append(b.length() > 0 ? " " : "").append(code).append(':').append(n.sum()));
        return b.toString();
    }

    void recordLatency(long micros) {
        latency.recordValue(Math.max(0, Math.min(MAX_MICROS, micros)));
    }

    void recordApiLatency(long micros) {
        apiLatency.recordValue(Math.max(0, Math.min(MAX_MICROS, micros)));
    }
}
