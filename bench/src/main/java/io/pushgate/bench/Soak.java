package io.pushgate.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;

import org.HdrHistogram.Histogram;

/**
 * The soak ({@code --scenario soak}): a fixed mix held for {@code --duration} while the server's memory is
 * sampled, and every delivery checked.
 *
 * <ul>
 * <li>steady sessions (uids {@code u<n>}, groups of {@code --group-size}) receive uid publishes at
 * {@code --rate}, group publishes at {@code --group-rate} and publishes to all at {@code --broadcast-rate};
 * <li>churn: extra sessions opened at {@code --churn-rate}, each closed after {@code --churn-life};
 * <li>reconnects: {@code --reconnect-rate} steady sessions a second drop their connection and come back
 * after up to {@code --away-max} with {@code ?cursor=<last cursor>}; what was published to them meanwhile
 * must arrive by replay, exactly once and in order per stream; a {@code reset} is counted, and is a failure
 * when the cursor was younger than {@code --history-window};
 * <li>slow readers: {@code --slow-readers} steady sessions with a small receive buffer, in a group of their
 * own, take turns (one per sample interval, between samples) to stop reading for up to
 * {@code --slow-pause-max}; {@code --slow-readers-rate} publishes/s of {@code --slow-payload-bytes} go to
 * the uid of the one whose turn it is, and as many to their group. They keep up, or the server closes
 * them (4408) and they resume from their cursor like any dropped session;
 * <li>{@code ttl}: {@code --ttl-rate} uids a second that have no session get {@code --ttl-messages}
 * messages with {@code "ttl"}, then connect, and must receive them.
 * </ul>
 *
 * Every {@code --sample-interval} the server's RSS and heap after a full GC are sampled (stderr, a CSV and
 * a PNG at {@code --plot}). It fails if a sample after {@code --settle} is more than {@code --growth-limit}
 * % above the first one after it, or if any delivery was lost, duplicated or out of order.
 */
final class Soak {

    /** ttl messages carry sequence numbers from here, apart from the publisher's. */
    static final long TTL_SEQ_BASE = 1L << 40;

    private final Options o;
    private final Metrics metrics = new Metrics();
    private final ServerProbe probe;
    private final List<Session> steady = new ArrayList<>();
    private final List<Session> slow = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private final List<Growth.Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final List<String> sampleRows = Collections.synchronizedList(new ArrayList<>());
    private volatile String phase = "start";
    /** Publishing: drops, pauses and ttl uids go on. */
    private volatile boolean running;
    /** Until the final close: a steady session that lost its connection reconnects. */
    private volatile boolean reconnecting = true;
    private final Set<Integer> away = ConcurrentHashMap.newKeySet();
    /** The slow reader whose turn it is (it pauses, then catches up): the slow uid publishes go to it. */
    private volatile Session current;
    private final AtomicInteger errorsLogged = new AtomicInteger();

    private final AtomicLong drops = new AtomicLong();
    private final AtomicLong dropsSkipped = new AtomicLong();
    private final AtomicLong unplanned = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong reconnectFailures = new AtomicLong();
    private final AtomicLong slowPauses = new AtomicLong();
    private final AtomicLong slowCloses4408 = new AtomicLong();
    private final AtomicLong slowClosesOther = new AtomicLong();
    private final AtomicLong ttlUids = new AtomicLong();
    private final AtomicLong ttlPublished = new AtomicLong();
    private final AtomicLong ttlPublishErrors = new AtomicLong();
    private final AtomicLong ttlOnline = new AtomicLong();
    private final AtomicLong ttlExpected = new AtomicLong();
    private final AtomicLong ttlDelivered = new AtomicLong();
    private final AtomicLong ttlConnectFailures = new AtomicLong();
    private final AtomicInteger ttlPending = new AtomicInteger();
    private final Set<Session> ttlOpen = ConcurrentHashMap.newKeySet();
    private long lastPublished;
    private long lastReceived;
    /** Publishes at the last sample, for the rate over each sample interval. */
    private long sampledPublished;
    private double sampledAt = -1;

    private Clients clients;
    private EventLoopGroup group;
    private Tracker tracker;

    Soak(Options o) {
        this.o = o;
        this.probe = new ServerProbe(o.serverPid, o.apiUrls, o.apiKey);
    }

    /** Runs the soak; the JSON line is {@link Result#json}, and {@link Result#passed} decides the exit code. */
    record Result(String json, boolean passed) {
    }

    Result run() throws Exception {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends Channel> channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        group = new MultiThreadIoEventLoopGroup(o.threads, io);
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "soak");
            t.setDaemon(true);
            return t;
        });
        double totalRate = totalRate();
        log("soak connections=%d duration=%.0fs sample-interval=%.0fs settle=%.0fs uid=%.0f/s group=%.0f/s all=%.0f/s "
                        + "slow-readers=%d (+%.0f/s to the one whose turn it is, %.0f/s to their group) churn=%.0f/s reconnect=%.0f/s ttl-uids=%.1f/s total=%.0f publishes/s",
                o.connections, o.duration, o.sampleInterval, o.settle, o.rate, o.groupRate, o.broadcastRate, o.slowReaders,
                o.slowRate, o.slowRate, o.churnRate, o.reconnectRate, o.ttlRate, totalRate);
        timer.scheduleAtFixedRate(this::progress, 10, 10, TimeUnit.SECONDS);

        // steady sessions: uid u<offset+i>, group g<(offset+i)/G>; slow readers spread out, in their own group
        long firstGroup = o.uidOffset / o.groupSize;
        int groups = o.connections == 0 ? 0 : (int) ((o.uidOffset + o.connections - 1) / o.groupSize - firstGroup + 1);
        int slowGroup = groups;
        String slowGroupName = "gslow" + o.uidOffset;
        int slowEvery = o.slowReaders == 0 ? Integer.MAX_VALUE : Math.max(1, o.connections / o.slowReaders);
        for (int i = 0; i < o.connections; i++) {
            long global = o.uidOffset + i;
            boolean isSlow = i % slowEvery == slowEvery / 2 && slow.size() < o.slowReaders;
            int g = isSlow ? slowGroup : (int) (global / o.groupSize - firstGroup);
            List<String> names = List.of(isSlow ? slowGroupName : "g" + (firstGroup + g));
            Session s = new Session(i, "u" + global, g, names, false);
            s.slow = isSlow;
            steady.add(s);
            if (isSlow) {
                slow.add(s);
            }
        }
        tracker = new Tracker(o.uidOffset, metrics, o.connections, groups + 1);
        tracker.window((long) (o.historyWindow * 1000));
        long tokenExpiry = Instant.now().getEpochSecond() + 3600 + (long) (o.duration + o.drain) * 2;
        clients = new Clients(o, group, channelType, epoll, metrics, tracker, new Hs256(o.jwtSecret), tokenExpiry);

        long sessionsBaseline = probe.sessions();
        phase = "connect";
        long t0 = System.nanoTime();
        connectAll();
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        int ok = (int) steady.stream().filter(s -> s.welcomed).count();
        log("connected %d, failed %d, in %.1f s", ok, metrics.connectFailures.sum(), connectSeconds);
        if (ok == 0) {
            throw new IllegalStateException("no session connected");
        }

        Publisher publisher = new Publisher(o, totalRate, group.next(), channelType, metrics,
                targets(firstGroup, groups, slowGroup, slowGroupName), tracker.generator());
        log("API connections: %d of %d", publisher.connect(), o.inflight);
        Main.ChurnDriver churn = o.churnRate > 0 ? new Main.ChurnDriver(o, clients, metrics) : null;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        phase = "soak";
        running = true;
        publisher.start();
        if (churn != null) {
            churn.start();
        }
        if (o.reconnectRate > 0) {
            long period = Math.max(1, (long) (1_000_000 / o.reconnectRate));
            timer.scheduleAtFixedRate(this::dropOne, period, period, TimeUnit.MICROSECONDS);
        }

        if (o.ttlRate > 0 && o.ttlMessages > 0) {
            long period = Math.max(1, (long) (1_000_000 / o.ttlRate));
            AtomicLong n = new AtomicLong();
            timer.scheduleAtFixedRate(() -> ttlOne(timer, http, n.getAndIncrement()), period / 2, period, TimeUnit.MICROSECONDS);
        }

        // the samples, on this thread, at fixed times from the start of the load
        long cpu0 = probe.cpuMicros();
        long m0 = System.nanoTime();
        Histogram latency = new Histogram(Metrics.MAX_MICROS, 3);
        for (int k = 0; k * o.sampleInterval <= o.duration + 1e-6; k++) {
            long due = m0 + (long) (k * o.sampleInterval * 1e9);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            sample(m0);
            if (!slow.isEmpty()) {
                slowTurn(timer, k, m0 + (long) ((k + 1) * o.sampleInterval * 1e9));
            }
        }
        double measured = (System.nanoTime() - m0) / 1e9;
        long published = metrics.published.sum();

        // stop, let every dropped or paused session come back, wait for what is owed
        phase = "drain";
        running = false;
        publisher.stop();
        if (churn != null) {
            churn.stop();
        }
        for (Session s : slow) {
            Channel ch = s.channel;
            if (ch != null) {
                ch.config().setAutoRead(true);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((!away.isEmpty() || ttlPending.get() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        deadline = System.nanoTime() + (long) (o.drain * 1e9);
        while (System.nanoTime() < deadline) {
            Tracker.Summary s = tracker.summarize(steady);
            if (s.unique() >= s.expected() && ttlOpen.isEmpty()) {
                break;
            }
            Thread.sleep(20);
        }
        publisher.close();
        long cpu1 = probe.cpuMicros();
        double cpuWindow = (System.nanoTime() - m0) / 1e9;
        timer.shutdownNow();
        for (Session s : ttlOpen) {
            finishTtl(s);
        }
        Tracker.Summary summary = tracker.summarize(steady);
        int stillAway = away.size();
        int shown = 0;
        for (Session s : steady) {
            long e = tracker.expected(s);
            if (!s.reset && e != s.unique && shown++ < 10) {
                Channel ch = s.channel;
                log("session %s%s: expected %d, received %d; connection %s, cursor %s, resumed from %s", s.uid,
                        s.slow ? " (slow reader)" : "", e, s.unique, ch == null ? "none" : ch.isActive() ? "open" : "closed",
                        s.cursor, s.resumedFrom);
            }
        }

        // close everything and check that the server forgot every session
        phase = "close";
        reconnecting = false;
        for (Session s : steady) {
            Clients.close(s);
        }
        long closeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (metrics.open.get() > 0 && System.nanoTime() < closeDeadline) {
            Thread.sleep(20);
        }
        long sessionsEnd = probe.sessions();
        for (int i = 0; i < 50 && sessionsBaseline >= 0 && sessionsEnd > sessionsBaseline; i++) {
            Thread.sleep(100);
            sessionsEnd = probe.sessions();
        }
        long leaked = sessionsBaseline >= 0 && sessionsEnd >= 0 ? sessionsEnd - sessionsBaseline : -1;

        // verdict
        Growth.Verdict growth = Growth.check(List.copyOf(samples), o.settle, o.growthLimitPct);
        List<String> failures = new ArrayList<>(growth.failures());
        long duplicated = metrics.duplicated.sum();
        long ttlMissing = ttlExpected.get() - ttlDelivered.get();
        if (summary.missing() > 0 || duplicated > 0 || summary.unexpected() > 0 || metrics.outOfOrder.sum() > 0) {
            failures.add(String.format(Locale.ROOT, "deliveries: %d missing, %d duplicated, %d unexpected, %d out of order "
                            + "(of %d expected)", summary.missing(), duplicated, summary.unexpected(), metrics.outOfOrder.sum(),
                    summary.expected()));
        }
        if (metrics.resetsInWindow.sum() > 0) {
            failures.add(String.format(Locale.ROOT, "resume: %d resets of cursors younger than the history window (%.0f s)",
                    metrics.resetsInWindow.sum(), o.historyWindow));
        }
        if (ttlMissing != 0 || ttlOnline.get() > 0) {
            failures.add(String.format(Locale.ROOT, "ttl: %d of %d held messages not delivered (%d uids were online when published)",
                    ttlMissing, ttlExpected.get(), ttlOnline.get()));
        }
        if (stillAway > 0) {
            failures.add(stillAway + " steady sessions could not reconnect by the end");
        }
        if (leaked != 0) {
            failures.add("sessions: the server holds " + leaked + " sessions more than before the run (-1: unknown)");
        }
        boolean passed = failures.isEmpty();

        Path png = Path.of(o.plot);
        Path csv = csvPath(png);
        writeOutputs(png, csv);

        latency.add(metrics.latencyTotal);
        long cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
        Json.Obj r = new Json.Obj().put("scenario", "soak").put("passed", passed)
                .put("failures", String.join("; ", failures))
                .put("connections", o.connections).put("connected", ok).put("connect_failures", metrics.connectFailures.sum())
                .put("duration_s", measured).put("sample_interval_s", o.sampleInterval).put("settle_s", o.settle)
                .put("growth_limit_pct", o.growthLimitPct)
                .put("rate_uid", o.rate).put("rate_group", o.groupRate).put("rate_all", o.broadcastRate)
                .put("slow_readers", slow.size()).put("rate_slow", o.slowRate).put("slow_payload_bytes", o.slowPayloadBytes).put("rate_total_target", totalRate)
                .put("publishes", published).put("publishes_per_s", published / measured)
                .put("publish_errors", metrics.publishErrors.sum()).put("publishes_skipped", publisher.skipped())
                .put("deliveries_expected", summary.expected()).put("deliveries_received", metrics.received.sum())
                .put("deliveries_unique", summary.unique())
                .put("deliveries_missing", summary.missing()).put("deliveries_duplicated", duplicated)
                .put("deliveries_unexpected", summary.unexpected()).put("deliveries_out_of_order", metrics.outOfOrder.sum())
                .put("deliveries_foreign", metrics.foreign.sum())
                .put("exactly_once", summary.missing() == 0 && duplicated == 0 && summary.unexpected() == 0
                        && metrics.outOfOrder.sum() == 0)
                .put("drops", drops.get()).put("drops_skipped", dropsSkipped.get())
                .put("disconnects_unplanned", unplanned.get()).put("disconnect_codes", metrics.closeCodeSummary())
                .put("reconnects", reconnects.get()).put("reconnect_failures", reconnectFailures.get())
                .put("resets", metrics.resets.sum()).put("resets_in_window", metrics.resetsInWindow.sum())
                .put("sessions_reset", summary.reset()).put("sessions_away_at_end", stillAway)
                .put("slow_pauses", slowPauses.get()).put("slow_closes_4408", slowCloses4408.get())
                .put("slow_closes_other", slowClosesOther.get())
                .put("ttl_uids", ttlUids.get()).put("ttl_published", ttlPublished.get())
                .put("ttl_publish_errors", ttlPublishErrors.get()).put("ttl_online", ttlOnline.get())
                .put("ttl_expected", ttlExpected.get()).put("ttl_delivered", ttlDelivered.get())
                .put("ttl_connect_failures", ttlConnectFailures.get());
        if (churn != null) {
            r.put("churn_rate_target", o.churnRate).put("churn_opened", churn.opened.get())
                    .put("churn_failed", churn.failed.get()).put("churn_skipped", churn.skipped.get())
                    .put("churn_closed", churn.closed.get());
        }
        Main.latency(r, "latency", latency);
        Main.latency(r, "api_latency", metrics.apiLatencyTotal);
        Growth.Sample base = growth.baseline();
        r.put("samples", samples.size()).put("samples_compared", growth.compared())
                .put("baseline_minute", base == null ? Double.NaN : base.seconds() / 60)
                .put("baseline_rss_mb", base == null ? Double.NaN : base.rssKib() / 1024.0)
                .put("baseline_heap_mb", base == null ? Double.NaN : base.heapKib() / 1024.0)
                .put("rss_growth_max_pct", growth.rssGrowthPct()).put("heap_growth_max_pct", growth.heapGrowthPct())
                .putRaw("rss_mb", series(true)).putRaw("heap_mb", series(false))
                .put("plot", png.toString()).put("csv", csv.toString())
                .put("server_sessions_baseline", sessionsBaseline).put("server_sessions_end", sessionsEnd)
                .put("server_sessions_leaked", leaked)
                .put("server_cpu_s", cpu / 1e6).put("server_cpu_pct", cpu / 1e4 / Math.max(1e-9, cpuWindow));

        if (published / measured < 0.95 * totalRate) {
            log("note: %.0f publishes/s against a target of %.0f (%d skipped): the server or the generator lacked CPU, and "
                    + "the heap, which holds the history of the last window, follows the rate", published / measured, totalRate,
                    publisher.skipped());
        }
        for (String f : failures) {
            log("SOAK FAILED: %s", f);
        }
        if (passed) {
            log("SOAK PASSED: RSS +%.1f%%, heap after GC +%.1f%% over %d samples after %.0f s (limit %.0f%%); %d deliveries "
                            + "exactly once, %d reconnects, %d resets, %d slow-reader 4408 closes, %d/%d ttl messages",
                    growth.rssGrowthPct(), growth.heapGrowthPct(), growth.compared(), o.settle, o.growthLimitPct,
                    summary.unique(), reconnects.get(), metrics.resets.sum(), slowCloses4408.get(), ttlDelivered.get(),
                    ttlExpected.get());
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        return new Result(r.toString(), passed);
    }

    // ---- publishing --------------------------------------------------------------------------------------

    /** Codes for {@link Publisher.Targets}: kind in the top bits, index below. */
    private static final int UID = 0;
    private static final int GROUP = 1 << 28;
    private static final int ALL = 2 << 28;
    private static final int SLOW = 1 << 27;
    private static final int INDEX = (1 << 27) - 1;

    /** Every publish rate summed: the slow readers' share goes to other uids while none pauses. */
    private double totalRate() {
        return o.rate + o.groupRate + o.broadcastRate + (o.slowReaders > 0 ? 2 * o.slowRate : 0);
    }

    private Publisher.Targets targets(long firstGroup, int groups, int slowGroup, String slowGroupName) {
        int regularGroups = groups;
        double uid = o.rate;
        double grp = uid + (regularGroups > 0 ? o.groupRate : 0);
        double all = grp + o.broadcastRate;
        double slowUid = all + (slow.isEmpty() ? 0 : o.slowRate);
        double total = slowUid + (slow.isEmpty() ? 0 : o.slowRate);
        return new Publisher.Targets() {
            @Override
            public int pick(StringBuilder body, ThreadLocalRandom random) {
                double r = random.nextDouble() * total;
                Session turn = current;
                if (r < uid || r >= total || r >= all && r < slowUid && turn == null) {
                    int i = random.nextInt(steady.size());
                    body.append("{\"uids\":[\"").append(steady.get(i).uid).append("\"]}");
                    return UID | i;
                }
                if (r < grp) {
                    int g = random.nextInt(regularGroups);
                    body.append("{\"groups\":[\"g").append(firstGroup + g).append("\"]}");
                    return GROUP | g;
                }
                if (r < all) {
                    body.append("{\"all\":true}");
                    return ALL;
                }
                if (r < slowUid) {
                    body.append("{\"uids\":[\"").append(turn.uid).append("\"]}");
                    return UID | SLOW | turn.index;
                }
                body.append("{\"groups\":[\"").append(slowGroupName).append("\"]}");
                return GROUP | SLOW | slowGroup;
            }

            @Override
            public int payloadBytes(int code) {
                return (code & SLOW) != 0 ? o.slowPayloadBytes : -1;
            }

            @Override
            public void accepted(int code) {
                switch (code & ~INDEX & ~SLOW) {
                    case UID -> tracker.publishedToUid(code & INDEX);
                    case GROUP -> tracker.publishedToGroup(code & INDEX);
                    default -> tracker.publishedToAll();
                }
            }
        };
    }

    // ---- connecting, dropping, reconnecting -------------------------------------------------------------

    private void connectAll() throws InterruptedException {
        Semaphore permits = new Semaphore(o.connectConcurrency);
        for (Session s : steady) {
            permits.acquire();
            firstConnect(s, 0, permits);
        }
        permits.acquire(o.connectConcurrency);
        permits.release(o.connectConcurrency);
    }

    private void firstConnect(Session s, int tries, Semaphore permits) {
        clients.open(s, s.index).whenComplete((done, error) -> {
            if (error == null) {
                watch(s, s.channel);
                permits.release();
            } else if (tries < o.connectRetries) {
                metrics.connectRetries.increment();
                group.schedule(() -> firstConnect(s, tries + 1, permits), Math.min(2000, 100L << tries), TimeUnit.MILLISECONDS);
            } else {
                metrics.connectFailures.increment();
                logError("connect %s failed: %s", s.uid, error);
                permits.release();
            }
        });
    }

    /** A steady session's connection ended without us closing it (4408, a drop): reconnect with its cursor. */
    private void watch(Session s, Channel ch) {
        ch.closeFuture().addListener(f -> {
            if (s.closingByUs || !reconnecting || !away.add(s.index)) {
                return;
            }
            unplanned.incrementAndGet();
            if (s.slow) {
                (s.closeCode == 4408 ? slowCloses4408 : slowClosesOther).incrementAndGet();
            }
            ch.eventLoop().schedule(() -> reconnect(s, 0), 200 + ThreadLocalRandom.current().nextInt(800), TimeUnit.MILLISECONDS);
        });
    }

    /** Drops one random steady session (not a slow reader) that is connected; it comes back after up to --away-max. */
    private void dropOne() {
        if (!running) {
            return;
        }
        Session s = steady.get(ThreadLocalRandom.current().nextInt(steady.size()));
        Channel ch = s.channel;
        if (s.slow || ch == null || !ch.isActive() || !s.welcomed || !away.add(s.index)) {
            dropsSkipped.incrementAndGet();
            return;
        }
        drops.incrementAndGet();
        s.closingByUs = true;
        long pause = 100 + ThreadLocalRandom.current().nextLong(Math.max(1, o.awayMaxMillis - 100));
        // an abrupt end, as a lost network would be; the frames already read moved the cursor
        ch.close().addListener(f -> ch.eventLoop().schedule(() -> reconnect(s, 0), pause, TimeUnit.MILLISECONDS));
    }

    private void reconnect(Session s, int tries) {
        if (!reconnecting) {
            away.remove(s.index);
            return;
        }
        String cursor = s.cursor;
        s.resumedFrom = cursor;
        clients.open(s, s.index, cursor).whenComplete((done, error) -> {
            if (error == null) {
                reconnects.incrementAndGet();
                watch(s, s.channel);
                away.remove(s.index);
            } else {
                reconnectFailures.incrementAndGet();
                logError("reconnect %s failed: %s", s.uid, error);
                group.schedule(() -> reconnect(s, tries + 1), Math.min(2000, 100L << Math.min(tries, 5)), TimeUnit.MILLISECONDS);
            }
        });
    }

    // ---- slow readers -----------------------------------------------------------------------------------

    /**
     * After sample {@code k}, slow reader {@code k} (round robin) takes its turn: from now the slow uid
     * publishes go to it, and 5 s later it stops reading for half to all of {@code --slow-pause-max}, ending
     * at least 10 s before the next sample (at {@code nextSampleNanos}; shorter when the interval leaves no
     * room), so that no sample sees a stalled queue (up to 1024 frames) and takes it for growth. One at a
     * time, so the slow traffic, and the history it keeps, is the same all along.
     */
    private void slowTurn(ScheduledExecutorService timer, int k, long nextSampleNanos) {
        if (!running) {
            return;
        }
        Session s = slow.get(k % slow.size());
        current = s;
        long room = (nextSampleNanos - System.nanoTime()) / 1_000_000 - 15_000;
        long longest = Math.min(o.slowPauseMaxMillis, room);
        if (longest < 1000) {
            return; // no room before the next sample: it reads on
        }
        long shortest = Math.min(longest, o.slowPauseMaxMillis / 2);
        long pause = shortest + ThreadLocalRandom.current().nextLong(longest - shortest + 1);
        timer.schedule(() -> {
            Channel ch = s.channel;
            if (!running || ch == null || !ch.isActive() || away.contains(s.index)) {
                return;
            }
            ch.config().setAutoRead(false);
            slowPauses.incrementAndGet();
            timer.schedule(() -> {
                ch.config().setAutoRead(true);
            }, pause, TimeUnit.MILLISECONDS);
        }, 5, TimeUnit.SECONDS);
    }

    // ---- ttl ---------------------------------------------------------------------------------------------

    /** Publishes the ttl messages of offline uid number {@code n}, then connects it after a second or two. */
    private void ttlOne(ScheduledExecutorService timer, HttpClient http, long n) {
        if (!running) {
            return;
        }
        String uid = "t" + o.uidOffset + "-" + n;
        long[] seqs = new long[o.ttlMessages];
        int accepted = 0;
        ttlUids.incrementAndGet();
        for (int k = 0; k < o.ttlMessages; k++) {
            long seq = TTL_SEQ_BASE + n * o.ttlMessages + k;
            String body = "{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"" + o.event + "\",\"data\":"
                    + Payload.encode(tracker.generator(), seq, Clock.nowMicros(), o.payloadBytes) + ",\"ttl\":" + o.ttlSeconds + "}";
            try {
                HttpRequest req = HttpRequest.newBuilder(URI.create(o.apiUrls.get(0).toString().replaceAll("/+$", "") + "/api/v1/messages"))
                        .header("Authorization", "Bearer " + o.apiKey).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
                HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() == 200) {
                    seqs[accepted++] = seq;
                    ttlPublished.incrementAndGet();
                    if (!res.body().contains("\"offline\":[\"" + uid + "\"]")) {
                        ttlOnline.incrementAndGet();
                    }
                } else {
                    ttlPublishErrors.incrementAndGet();
                    logError("ttl publish: %d %s", res.statusCode(), res.body());
                }
            } catch (IOException e) {
                ttlPublishErrors.incrementAndGet();
                logError("ttl publish: %s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (accepted == 0) {
            return;
        }
        long[] owed = java.util.Arrays.copyOf(seqs, accepted);
        Session s = new Session((int) n, uid, -1, List.of(), true);
        s.ttlOwed = owed;
        ttlPending.incrementAndGet();
        timer.schedule(() -> clients.open(s, (int) n).whenComplete((done, error) -> {
            ttlPending.decrementAndGet();
            if (error != null) {
                // a connection the server welcomed too late may have taken the held messages: not counted
                ttlConnectFailures.incrementAndGet();
                logError("ttl connect %s failed: %s", uid, error);
                return;
            }
            ttlExpected.addAndGet(owed.length);
            ttlOpen.add(s);
            // held messages come right after the welcome: a second is plenty
            s.channel.eventLoop().schedule(() -> finishTtl(s), 1000, TimeUnit.MILLISECONDS);
        }), 1000 + ThreadLocalRandom.current().nextLong(1000), TimeUnit.MILLISECONDS);
    }

    /** Counts what a ttl session received of what was held for it, once, and closes it. */
    private void finishTtl(Session s) {
        if (!ttlOpen.remove(s)) {
            return;
        }
        long[] owed = s.ttlOwed;
        int got = 0;
        for (long seq : owed) {
            if (s.seen.contains(seq)) {
                got++;
            }
        }
        ttlDelivered.addAndGet(got);
        if (got < owed.length) {
            logError("ttl %s: %d of %d held messages arrived", s.uid, got, owed.length);
        }
        Clients.close(s);
    }

    // ---- samples ------------------------------------------------------------------------------------------

    private void sample(long m0) {
        double t = (System.nanoTime() - m0) / 1e9;
        long heap = probe.heapUsedAfterGcKib();
        long rss = probe.rssKib();
        long sessions = probe.sessions();
        Growth.Sample s = new Growth.Sample(t, rss, heap);
        samples.add(s);
        long published = metrics.published.sum();
        // the history (most of the heap) holds the last window's messages: a rate short of the target shows as less heap
        double rate = sampledAt >= 0 && t > sampledAt ? (published - sampledPublished) / (t - sampledAt) : 0;
        sampledPublished = published;
        sampledAt = t;
        sampleRows.add(String.format(Locale.ROOT, "%.1f,%.2f,%.1f,%.1f,%d,%d,%.0f,%d,%d,%d", t, t / 60, rss / 1024.0,
                heap / 1024.0, sessions, published, rate, metrics.received.sum(), reconnects.get(), metrics.resets.sum()));
        Growth.Verdict v = Growth.check(List.copyOf(samples), o.settle, o.growthLimitPct);
        String rel = v.baseline() == null ? "settling"
                : v.compared() == 0 ? "baseline"
                : String.format(Locale.ROOT, "RSS %+.1f%%, heap %+.1f%% (max so far)", v.rssGrowthPct(), v.heapGrowthPct());
        log("sample %5.2f min: RSS %.1f MiB, heap after GC %.1f MiB, server sessions %d, %.0f publishes/s since the last; %s",
                t / 60, rss / 1024.0, heap / 1024.0, sessions, rate, rel);
        try {
            Path png = Path.of(o.plot);
            writeOutputs(png, csvPath(png)); // as it goes, so that an interrupted run leaves its samples
        } catch (IOException | RuntimeException e) {
            logError("writing the plot: %s", e);
        }
    }

    private synchronized void writeOutputs(Path png, Path csv) throws IOException {
        List<Growth.Sample> copy = List.copyOf(samples);
        String title = String.format(Locale.ROOT, "pushgate soak: %d sessions, %.0f publishes/s, churn %.0f/s, %d min",
                o.connections, totalRate(),
                o.churnRate, Math.round(o.duration / 60));
        SoakPlot.write(copy, o.settle, o.growthLimitPct, title, png, 1000, 560);
        StringBuilder b = new StringBuilder("seconds,minutes,rss_mib,heap_after_gc_mib,server_sessions,published,publishes_per_s,received,reconnects,resets\n");
        synchronized (sampleRows) {
            for (String row : sampleRows) {
                b.append(row).append('\n');
            }
        }
        Files.writeString(csv, b.toString(), StandardCharsets.UTF_8);
    }

    static Path csvPath(Path png) {
        String name = png.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return png.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".csv");
    }

    private String series(boolean rss) {
        StringBuilder b = new StringBuilder("[");
        synchronized (samples) {
            for (Growth.Sample s : samples) {
                if (b.length() > 1) {
                    b.append(',');
                }
                long kib = rss ? s.rssKib() : s.heapKib();
                b.append(String.format(Locale.ROOT, "%.1f", kib / 1024.0));
            }
        }
        return b.append(']').toString();
    }

    // ---- logging ------------------------------------------------------------------------------------------

    private void progress() {
        try {
            Histogram interval = metrics.latency.getIntervalHistogram();
            metrics.latencyTotal.add(interval);
            metrics.apiLatencyTotal.add(metrics.apiLatency.getIntervalHistogram());
            long published = metrics.published.sum();
            long received = metrics.received.sum();
            log("%-6s open=%d pub/s=%.0f deliv/s=%.0f p99=%.1fms max=%.1fms away=%d drops=%d reconnects=%d resets=%d "
                            + "slow-pauses=%d 4408=%d ttl=%d/%d dup=%d ooo=%d errors=%d",
                    phase, metrics.open.get(), (published - lastPublished) / 10.0, (received - lastReceived) / 10.0,
                    interval.getValueAtPercentile(99) / 1000.0, interval.getMaxValue() / 1000.0, away.size(), drops.get(),
                    reconnects.get(), metrics.resets.sum(), slowPauses.get(), slowCloses4408.get(), ttlDelivered.get(),
                    ttlExpected.get(), metrics.duplicated.sum(), metrics.outOfOrder.sum(), metrics.publishErrors.sum());
            lastPublished = published;
            lastReceived = received;
        } catch (RuntimeException e) {
            log("progress: %s", e);
        }
    }

    private void logError(String format, Object... args) {
        if (errorsLogged.getAndIncrement() < 20) {
            log(format, args);
        }
    }

    private void log(String format, Object... args) {
        Object[] all = new Object[args.length + 1];
        all[0] = (System.nanoTime() - startNanos) / 1e9;
        System.arraycopy(args, 0, all, 1, args.length);
        System.err.printf(Locale.ROOT, "[%6.1fs] " + format + "%n", all);
    }
}
