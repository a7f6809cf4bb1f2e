package io.pushgate.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * pushgate's load generator. Phases: connect {@code --connections} sessions; publish for
 * {@code --warmup} then {@code --duration} seconds (or hold them, for {@code idle}); wait up to
 * {@code --drain} seconds for outstanding deliveries; close everything and check that the server's
 * session count is back where it started. Progress every second on stderr, one JSON line on stdout.
 */
public final class Main {

    private final Options o;
    private final Metrics metrics = new Metrics();
    private final ServerProbe probe;
    private final List<Session> sessions = new ArrayList<>();
    private volatile String phase = "start";
    private volatile boolean measuring;
    private final long startNanos = System.nanoTime();
    private long lastPublished;
    private long lastReceived;
    private final AtomicInteger errorsLogged = new AtomicInteger();

    private Main(Options o) {
        this.o = o;
        this.probe = new ServerProbe(o.serverPid, o.apiUrls, o.apiKey);
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = new Options(args);
        } catch (IllegalArgumentException e) {
            if (!"help".equals(e.getMessage())) {
                System.err.println("error: " + e.getMessage());
            }
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        if (o.scenario.equals("soak")) {
            Soak.Result result = new Soak(o).run();
            System.out.println(result.json());
            System.exit(result.passed() ? 0 : 1);
            return;
        }
        System.out.println(new Main(o).run());
        System.exit(0);
    }

    private String run() throws Exception {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends Channel> channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(o.threads, io);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "progress");
            t.setDaemon(true);
            return t;
        });
        log("%s transport=%s protocol=%s publish-via=%s connections=%d epoll=%s threads=%d source-ips=%d uid-offset=%d",
                o.scenario, o.transport, o.protocol, o.publishVia, o.connections, epoll, o.threads, o.sourceIps, o.uidOffset);
        ticker.scheduleAtFixedRate(this::progress, 1, 1, TimeUnit.SECONDS);

        // sessions: uid u<offset+i>; in the group scenario group g<(offset+i)/G>; in a broadcast to --channel
        // every session is in that one group (local group 0)
        boolean grouped = o.scenario.equals("group");
        boolean channelled = o.scenario.equals("broadcast") && o.channel != null;
        long firstGroup = o.uidOffset / o.groupSize;
        int localGroups = grouped && o.connections > 0
                ? (int) ((o.uidOffset + o.connections - 1) / o.groupSize - firstGroup + 1) : channelled ? 1 : 0;
        for (int i = 0; i < o.connections; i++) {
            long global = o.uidOffset + i;
            int g = grouped ? (int) (global / o.groupSize - firstGroup) : channelled ? 0 : -1;
            List<String> groups = grouped ? List.of("g" + (firstGroup + g)) : channelled ? List.of(o.channel) : List.of();
            sessions.add(new Session(i, "u" + global, g, groups, false));
        }
        Tracker tracker = new Tracker(o.uidOffset, metrics, o.connections, localGroups);
        long tokenExpiry = Instant.now().getEpochSecond() + 3600 + (long) (o.warmup + o.duration + o.drain) * 2;
        Clients clients = new Clients(o, group, channelType, epoll, metrics, tracker, new Hs256(o.jwtSecret), tokenExpiry);

        long sessionsBaseline = probe.sessions();
        double rssColdPerConn = warm(group, channelType, epoll, tokenExpiry, sessionsBaseline);
        long rssBefore = probe.rssKib();
        long heapBefore = o.serverGc ? probe.heapUsedAfterGcKib() : -1;

        // connect
        phase = "connect";
        long t0 = System.nanoTime();
        connectAll(clients, group);
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        int ok = (int) sessions.stream().filter(s -> s.welcomed).count();
        long failed = metrics.connectFailures.sum();
        log("connected %d, failed %d, in %.1f s (%.0f/s)", ok, failed, connectSeconds, ok / Math.max(connectSeconds, 1e-9));
        long sessionsConnected = probe.sessions();

        // publish (or hold)
        Publisher publisher = null;
        ChurnDriver churn = null;
        TalkDriver talk = null;
        int[] live = sessions.stream().filter(s -> s.welcomed).mapToInt(s -> s.index).toArray();
        if (o.publishes()) {
            if (live.length == 0 && !o.scenario.equals("broadcast")) {
                throw new IllegalStateException("no session connected: nothing to publish to");
            }
            if (o.scenario.equals("talk")) {
                double perSession = o.rate / live.length;
                log("talk: %.0f send frames/s over %d sessions, %.1f/s each", o.rate, live.length, perSession);
                if (perSession > 20) {
                    log("talk: more than 20 frames/s per session: the server's default pushgate.ws.frames-per-second "
                            + "refuses them (rate_limited, then 4429); raise it or add --connections");
                }
                talk = new TalkDriver(o, clients, group, sessions, live);
                talk.start();
            } else {
                Publisher.Targets targets = targets(tracker, live, localGroups, firstGroup);
                publisher = new Publisher(o, group.next(), channelType, metrics, targets, tracker.generator());
                int up = publisher.connect();
                log("API connections: %d of %d", up, o.inflight);
                if (o.scenario.equals("churn")) {
                    churn = new ChurnDriver(o, clients, metrics);
                }
                publisher.start();
                if (churn != null) {
                    churn.start();
                }
            }
            if (o.warmup > 0) {
                phase = "warmup";
                sleep(o.warmup);
            }
        }
        phase = "measure";
        long cpu0 = probe.cpuMicros();
        long[] cpus0 = cpuOf(o.cpuPids);
        long published0 = metrics.published.sum();
        long received0 = metrics.received.sum();
        long requests0 = metrics.requests.sum();
        long sent0 = metrics.clientMessages.sum();
        long opened0 = churn == null ? 0 : churn.opened.get();
        long closed0 = churn == null ? 0 : churn.closed.get();
        long[] sink0 = probe.sinkCounts(o.sinkUrl);
        startMeasuring(ticker);
        long m0 = System.nanoTime();
        sleep(o.duration);
        // the measured window alone, without the drain: what the steady load cost the server
        long cpuMeasured1 = probe.cpuMicros();
        long[] cpus1 = cpuOf(o.cpuPids);
        double measured = (System.nanoTime() - m0) / 1e9;
        long published1 = metrics.published.sum();
        long received1 = metrics.received.sum();
        long requests1 = metrics.requests.sum();
        long sent1 = metrics.clientMessages.sum();
        long opened1 = churn == null ? 0 : churn.opened.get();
        long closed1 = churn == null ? 0 : churn.closed.get();
        long[] sink1 = probe.sinkCounts(o.sinkUrl);
        if (talk != null) {
            phase = "drain";
            talk.stop();
            long deadline = System.nanoTime() + (long) (o.drain * 1e9);
            while (System.nanoTime() < deadline
                    && metrics.repliesOk.sum() + metrics.repliesError.sum() < metrics.clientMessages.sum()) {
                Thread.sleep(20);
            }
        }
        if (publisher != null) {
            phase = "drain";
            publisher.stop();
            if (churn != null) {
                churn.stop();
            }
            long deadline = System.nanoTime() + (long) (o.drain * 1e9);
            while (System.nanoTime() < deadline) {
                Tracker.Summary s = tracker.summarize(sessions);
                if (s.unique() >= s.expected()) {
                    break;
                }
                Thread.sleep(20);
            }
            publisher.close();
        }
        long cpu1 = probe.cpuMicros();
        double cpuWindow = (System.nanoTime() - m0) / 1e9;
        long receivedAfterDrain = metrics.received.sum();
        stopMeasuring(ticker);
        long rssAfter = probe.rssKib();
        long heapAfter = o.serverGc ? probe.heapUsedAfterGcKib() : -1;
        Tracker.Summary summary = tracker.summarize(sessions);

        // close and check the server forgot every session
        phase = "close";
        long disconnectsBeforeClose = metrics.disconnects.sum();
        for (Session s : sessions) {
            Clients.close(s);
        }
        long closeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (metrics.open.get() > 0 && System.nanoTime() < closeDeadline) {
            Thread.sleep(20);
        }
        long sessionsEnd = probe.sessions();
        while (sessionsBaseline >= 0 && sessionsEnd > sessionsBaseline && System.nanoTime() < closeDeadline) {
            Thread.sleep(100);
            sessionsEnd = probe.sessions();
        }

        Json.Obj r = new Json.Obj()
                .put("scenario", o.scenario).put("transport", o.transport).put("protocol", o.protocol)
                .put("channel", channelled ? o.channel : null).put("publish_via", o.publishVia)
                .put("connections", o.connections).put("connections_ok", ok).put("connections_failed", failed)
                .put("connect_retries", metrics.connectRetries.sum()).put("connect_s", connectSeconds)
                .put("source_ips", o.sourceIps).put("uid_offset", o.uidOffset)
                .put("duration_s", measured).put("warmup_s", o.warmup)
                .put("batch", o.batch).put("inflight", o.inflight).put("api_stream", o.apiStream).put("rate_target", o.rate)
                .put("payload_bytes", o.payloadBytes);
        if (o.scenario.equals("group")) {
            r.put("group_size", o.groupSize).put("groups", localGroups);
        }
        r.put("publishes", published1 - published0).put("publishes_total", metrics.published.sum())
                .put("publish_errors", metrics.publishErrors.sum())
                .put("publishes_skipped", publisher == null ? 0 : publisher.skipped())
                .put("requests_per_s", (requests1 - requests0) / measured)
                .put("publishes_per_s", (published1 - published0) / measured)
                .put("deliveries_expected", summary.expected())
                .put("deliveries_received", metrics.received.sum())
                .put("deliveries_duplicated", metrics.duplicated.sum())
                .put("deliveries_missing", summary.missing())
                .put("deliveries_unexpected", summary.unexpected())
                .put("deliveries_foreign", metrics.foreign.sum())
                .put("server_sessions_reached", metrics.serverReached.sum())
                .put("deliveries_per_s", (received1 - received0) / measured)
                .put("exactly_once", summary.missing() == 0 && metrics.duplicated.sum() == 0 && summary.unexpected() == 0)
                .put("pusher_errors", metrics.pusherErrors.sum());
        if (talk != null) {
            long sentTotal = metrics.clientMessages.sum();
            long replies = metrics.repliesOk.sum() + metrics.repliesError.sum();
            r.put("client_messages", sent1 - sent0).put("client_messages_per_s", (sent1 - sent0) / measured)
                    .put("client_messages_total", sentTotal).put("client_messages_skipped", talk.skipped.get())
                    .put("replies_ok", metrics.repliesOk.sum()).put("replies_error", metrics.repliesError.sum())
                    .put("reply_error_codes", metrics.replyErrorSummary())
                    .put("replies_missing", sentTotal - replies);
            latency(r, "reply_latency", metrics.latencyTotal);
        } else {
            latency(r, "latency", metrics.latencyTotal);
        }
        latency(r, "api_latency", metrics.apiLatencyTotal);
        r.put("disconnects", disconnectsBeforeClose).put("disconnect_codes", metrics.closeCodeSummary());
        if (churn != null) {
            r.put("churn_rate_target", o.churnRate).put("churn_opened", churn.opened.get())
                    .put("churn_failed", churn.failed.get()).put("churn_skipped", churn.skipped.get())
                    .put("churn_closed", churn.closed.get())
                    .put("connects", opened1 - opened0).put("connects_per_s", (opened1 - opened0) / measured)
                    .put("connects_closed", closed1 - closed0);
        }
        if (sink0 != null && sink1 != null) {
            long events = sink1[0] - sink0[0];
            long[] sinkEnd = probe.sinkCounts(o.sinkUrl);
            r.put("sink_events", events).put("sink_events_per_s", events / measured)
                    .put("sink_batches", sink1[1] - sink0[1])
                    .put("sink_events_per_batch", sink1[1] > sink0[1] ? events / (double) (sink1[1] - sink0[1]) : Double.NaN);
            for (int t = 0; t < ServerProbe.SINK_TYPES.length; t++) {
                r.put("sink_" + ServerProbe.SINK_TYPES[t], sink1[2 + t] - sink0[2 + t]);
            }
            r.put("sink_events_total", sinkEnd == null ? -1 : sinkEnd[0]);
            if (talk != null) {
                r.put("sink_events_per_client_message", sent1 > sent0 ? events / (double) (sent1 - sent0) : Double.NaN);
            }
            if (churn != null) {
                r.put("sink_events_per_connect", opened1 > opened0 ? events / (double) (opened1 - opened0) : Double.NaN);
            }
        }
        r.put("server_sessions_baseline", sessionsBaseline).put("server_sessions_connected", sessionsConnected)
                .put("server_sessions_end", sessionsEnd)
                .put("server_sessions_leaked", sessionsBaseline >= 0 && sessionsEnd >= 0 ? sessionsEnd - sessionsBaseline : -1);
        if (o.serverPid > 0) {
            long cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
            long deliveries = receivedAfterDrain - received0;
            r.put("server_pid", o.serverPid)
                    .put("server_rss_before_mb", rssBefore / 1024.0).put("server_rss_after_mb", rssAfter / 1024.0)
                    .put("server_rss_per_conn_kb", ok > 0 ? (rssAfter - rssBefore) / (double) ok : Double.NaN)
                    .put("warm_cycles", o.warmCycles).put("server_rss_cold_per_conn_kb", rssColdPerConn)
                    .put("server_heap_before_mb", heapBefore < 0 ? Double.NaN : heapBefore / 1024.0)
                    .put("server_heap_after_mb", heapAfter < 0 ? Double.NaN : heapAfter / 1024.0)
                    .put("server_heap_per_conn_kb", heapBefore < 0 || heapAfter < 0 || ok == 0 ? Double.NaN
                            : (heapAfter - heapBefore) / (double) ok)
                    .put("server_cpu_s", cpu / 1e6).put("server_cpu_window_s", cpuWindow)
                    .put("server_cpu_pct", cpu / 1e4 / Math.max(1e-9, cpuWindow))
                    .put("server_cpu_us_per_delivery", deliveries > 0 && cpu >= 0 ? cpu / (double) deliveries : Double.NaN);
            // the measured window alone (no drain): per client message (talk), per connect (churn)
            long cpuMeasured = cpu0 >= 0 && cpuMeasured1 >= 0 ? cpuMeasured1 - cpu0 : -1;
            r.put("server_cpu_measured_s", cpuMeasured / 1e6)
                    .put("server_cpu_measured_pct", cpuMeasured / 1e4 / Math.max(1e-9, measured));
            if (talk != null) {
                long sent = sent1 - sent0;
                r.put("server_cpu_us_per_client_message", sent > 0 && cpuMeasured >= 0 ? cpuMeasured / (double) sent : Double.NaN);
            }
            if (churn != null) {
                long connects = opened1 - opened0;
                r.put("server_cpu_us_per_connect", connects > 0 && cpuMeasured >= 0 ? cpuMeasured / (double) connects : Double.NaN);
            }
        }
        // the measured window alone, as server_cpu_measured_*: what each process spent on the steady load
        int k = 0;
        long publishes = published1 - published0;
        for (Map.Entry<String, Long> p : o.cpuPids.entrySet()) {
            long cpu = cpus0[k] >= 0 && cpus1[k] >= 0 ? cpus1[k] - cpus0[k] : -1;
            r.put("cpu_" + p.getKey() + "_pct", cpu < 0 ? Double.NaN : cpu / 1e4 / Math.max(1e-9, measured))
                    .put("cpu_" + p.getKey() + "_us_per_publish", cpu < 0 || publishes <= 0 ? Double.NaN : cpu / (double) publishes);
            k++;
        }
        ticker.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        return r.toString();
    }

    /** CPU time in µs of each process, in the map's order; -1 for one that cannot be read. */
    private long[] cpuOf(Map<String, Long> pids) {
        long[] out = new long[pids.size()];
        int k = 0;
        for (long pid : pids.values()) {
            out[k++] = probe.cpuMicros(pid);
        }
        return out;
    }

    private Publisher.Targets targets(Tracker tracker, int[] live, int localGroups, long firstGroup) {
        return switch (o.scenario) {
            case "group" -> new Publisher.Targets() {
                @Override
                public int pick(StringBuilder body, ThreadLocalRandom random) {
                    int g = random.nextInt(localGroups);
                    body.append("{\"groups\":[\"g").append(firstGroup + g).append("\"]}");
                    return g;
                }

                @Override
                public String channel(int g) {
                    return "g" + (firstGroup + g);
                }

                @Override
                public void accepted(int g) {
                    tracker.publishedToGroup(g);
                }
            };
            case "broadcast" -> o.channel != null ? new Publisher.Targets() { // the one group every session joined
                @Override
                public int pick(StringBuilder body, ThreadLocalRandom random) {
                    body.append("{\"groups\":[\"").append(o.channel).append("\"]}");
                    return 0;
                }

                @Override
                public String channel(int code) {
                    return o.channel;
                }

                @Override
                public void accepted(int code) {
                    tracker.publishedToGroup(0);
                }
            } : new Publisher.Targets() {
                @Override
                public int pick(StringBuilder body, ThreadLocalRandom random) {
                    body.append("{\"all\":true}");
                    return 0;
                }

                @Override
                public void accepted(int code) {
                    tracker.publishedToAll();
                }
            };
            default -> new Publisher.Targets() { // uid, churn: one random connected uid per message
                @Override
                public int pick(StringBuilder body, ThreadLocalRandom random) {
                    int index = live[random.nextInt(live.length)];
                    body.append("{\"uids\":[\"").append(sessions.get(index).uid).append("\"]}");
                    return index;
                }

                @Override
                public void accepted(int index) {
                    tracker.publishedToUid(index);
                }
            };
        };
    }

    /**
     * The warm cycles ({@code --warm-cycles}): opens and closes every connection as the measured phase
     * will, with their own counters, and waits until the server holds none of them again.
     *
     * @return the RSS growth per connection of the first burst, or NaN without warm cycles
     */
    private double warm(EventLoopGroup group, Class<? extends Channel> channelType, boolean epoll, long tokenExpiry,
                        long sessionsBaseline) throws InterruptedException {
        double coldPerConn = Double.NaN;
        for (int cycle = 0; cycle < o.warmCycles; cycle++) {
            phase = "warm";
            Metrics warmMetrics = new Metrics();
            Tracker warmTracker = new Tracker(o.uidOffset, warmMetrics, o.connections, 0);
            Clients warmClients = new Clients(o, group, channelType, epoll, warmMetrics, warmTracker,
                    new Hs256(o.jwtSecret), tokenExpiry);
            List<Session> warmSessions = new ArrayList<>(o.connections);
            for (Session s : sessions) {
                warmSessions.add(new Session(s.index, s.uid, s.group, s.groups, false));
            }
            long rss0 = probe.rssKib();
            connectAll(warmClients, group, warmSessions, warmMetrics);
            long opened = warmSessions.stream().filter(s -> s.welcomed).count();
            if (cycle == 0 && opened > 0) {
                coldPerConn = (probe.rssKib() - rss0) / (double) opened;
            }
            log("warm cycle %d: %d connections opened, closing them", cycle + 1, opened);
            for (Session s : warmSessions) {
                Clients.close(s);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((warmMetrics.open.get() > 0 || sessionsBaseline >= 0 && probe.sessions() > sessionsBaseline)
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        }
        return coldPerConn;
    }

    private void connectAll(Clients clients, EventLoopGroup group) throws InterruptedException {
        connectAll(clients, group, sessions, metrics);
    }

    private void connectAll(Clients clients, EventLoopGroup group, List<Session> targets, Metrics counters)
            throws InterruptedException {
        Semaphore permits = new Semaphore(o.connectConcurrency);
        for (Session s : targets) {
            permits.acquire();
            attempt(clients, group, s, 0, permits, counters);
        }
        permits.acquire(o.connectConcurrency);
        permits.release(o.connectConcurrency);
    }

    private void attempt(Clients clients, EventLoopGroup group, Session s, int tries, Semaphore permits, Metrics counters) {
        clients.open(s, s.index).whenComplete((done, error) -> {
            if (error == null) {
                permits.release();
                return;
            }
            if (tries < o.connectRetries) {
                counters.connectRetries.increment();
                long backoff = Math.min(2000, 100L << tries);
                group.schedule(() -> attempt(clients, group, s, tries + 1, permits, counters), backoff, TimeUnit.MILLISECONDS);
            } else {
                counters.connectFailures.increment();
                if (errorsLogged.getAndIncrement() < 10) {
                    log("connect %s failed: %s", s.uid, error);
                }
                permits.release();
            }
        });
    }

    private void startMeasuring(ScheduledExecutorService ticker) throws Exception {
        ticker.submit(() -> {
            metrics.latency.getIntervalHistogram();
            metrics.apiLatency.getIntervalHistogram();
            measuring = true;
        }).get();
    }

    private void stopMeasuring(ScheduledExecutorService ticker) throws Exception {
        ticker.submit(() -> {
            collect();
            measuring = false;
        }).get();
    }

    private Histogram collect() {
        Histogram interval = metrics.latency.getIntervalHistogram();
        Histogram api = metrics.apiLatency.getIntervalHistogram();
        if (measuring) {
            metrics.latencyTotal.add(interval);
            metrics.apiLatencyTotal.add(api);
        }
        return interval;
    }

    private void progress() {
        try {
            Histogram interval = collect();
            long published = metrics.published.sum();
            long received = metrics.received.sum();
            if (o.scenario.equals("talk")) {
                long sent = metrics.clientMessages.sum();
                long replies = metrics.repliesOk.sum() + metrics.repliesError.sum();
                log("%-8s open=%d failed=%d sent/s=%d replies/s=%d reply p99=%.2fms max=%.2fms ok=%d error=%d %s disc=%d",
                        phase, metrics.open.get(), metrics.connectFailures.sum(), sent - lastPublished,
                        replies - lastReceived, interval.getValueAtPercentile(99) / 1000.0, interval.getMaxValue() / 1000.0,
                        metrics.repliesOk.sum(), metrics.repliesError.sum(), metrics.replyErrorSummary(), metrics.disconnects.sum());
                lastPublished = sent;
                lastReceived = replies;
                return;
            }
            log("%-8s open=%d failed=%d pub/s=%d deliv/s=%d p99=%.2fms max=%.2fms inflight=%d disc=%d dup=%d errors=%d",
                    phase, metrics.open.get(), metrics.connectFailures.sum(), published - lastPublished,
                    received - lastReceived, interval.getValueAtPercentile(99) / 1000.0, interval.getMaxValue() / 1000.0,
                    metrics.inflight.get(), metrics.disconnects.sum(), metrics.duplicated.sum(), metrics.publishErrors.sum());
            lastPublished = published;
            lastReceived = received;
        } catch (RuntimeException e) {
            log("progress: %s", e);
        }
    }

    static void latency(Json.Obj r, String prefix, Histogram h) {
        if (h.getTotalCount() == 0) {
            r.putNull(prefix + "_p50_ms").putNull(prefix + "_p90_ms").putNull(prefix + "_p99_ms")
                    .putNull(prefix + "_p999_ms").putNull(prefix + "_max_ms");
            return;
        }
        r.put(prefix + "_p50_ms", h.getValueAtPercentile(50) / 1000.0)
                .put(prefix + "_p90_ms", h.getValueAtPercentile(90) / 1000.0)
                .put(prefix + "_p99_ms", h.getValueAtPercentile(99) / 1000.0)
                .put(prefix + "_p999_ms", h.getValueAtPercentile(99.9) / 1000.0)
                .put(prefix + "_max_ms", h.getMaxValue() / 1000.0);
    }

    private void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[%6.1fs] " + format + "%n",
                prepend((System.nanoTime() - startNanos) / 1e9, args));
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static void sleep(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * 1000));
    }

    /**
     * Talk: {@code --rate} send frames a second over the connected sessions, round-robin, so each session
     * sends every {@code sessions / rate} seconds. Ticks every millisecond on one of the generator's event
     * loops, so with one loop (the generator pinned to one core) the frames are written without a task each.
     * More than a second behind, the backlog is dropped and counted ({@code client_messages_skipped}).
     */
    static final class TalkDriver {
        final AtomicLong skipped = new AtomicLong();
        private final Options o;
        private final Clients clients;
        private final EventLoopGroup group;
        private final List<Session> sessions;
        private final int[] live;
        private volatile java.util.concurrent.ScheduledFuture<?> ticking;
        private long next;
        private long startNanos;

        TalkDriver(Options o, Clients clients, EventLoopGroup group, List<Session> sessions, int[] live) {
            this.o = o;
            this.clients = clients;
            this.group = group;
            this.sessions = sessions;
            this.live = live;
        }

        void start() {
            startNanos = System.nanoTime();
            ticking = group.next().scheduleAtFixedRate(this::tick, 0, 1, TimeUnit.MILLISECONDS);
        }

        private void tick() {
            long due = (long) (o.rate * (System.nanoTime() - startNanos) / 1e9);
            if (due - next > o.rate) {
                long drop = due - next - (long) o.rate;
                skipped.addAndGet(drop);
                next += drop;
            }
            while (next < due) {
                long n = next++;
                if (!clients.send(sessions.get(live[(int) (n % live.length)]), n)) {
                    skipped.incrementAndGet();
                }
            }
        }

        void stop() throws InterruptedException {
            ticking.cancel(false);
            Thread.sleep(5); // a tick under way finishes
        }
    }

    /** Churn: extra sessions (uids {@code c<offset>-<n>}) opened at {@code --churn-rate}, each closed after {@code --churn-life}. */
    static final class ChurnDriver {
        final AtomicLong opened = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong skipped = new AtomicLong();
        final AtomicLong closed = new AtomicLong();
        private final Options o;
        private final Clients clients;
        private final AtomicInteger pending = new AtomicInteger();
        private final ConcurrentLinkedQueue<Session> alive = new ConcurrentLinkedQueue<>();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "churn");
            t.setDaemon(true);
            return t;
        });
        private volatile boolean running;
        private long next;
        private long startNanos;

        ChurnDriver(Options o, Clients clients, Metrics metrics) {
            this.o = o;
            this.clients = clients;
        }

        void start() {
            running = true;
            startNanos = System.nanoTime();
            timer.scheduleAtFixedRate(this::tick, 0, 1, TimeUnit.MILLISECONDS);
        }

        private void tick() {
            long due = (long) (o.churnRate * (System.nanoTime() - startNanos) / 1e9);
            while (running && next < due) {
                long n = next++;
                if (pending.get() >= o.connectConcurrency) {
                    skipped.incrementAndGet();
                    continue;
                }
                Session s = new Session((int) n, "c" + o.uidOffset + "-" + n, -1, List.of(), true);
                pending.incrementAndGet();
                clients.open(s, (int) n).whenComplete((ok, error) -> {
                    pending.decrementAndGet();
                    if (error != null) {
                        failed.incrementAndGet();
                        return;
                    }
                    opened.incrementAndGet();
                    alive.add(s);
                    s.channel.closeFuture().addListener(f -> {
                        closed.incrementAndGet();
                        alive.remove(s);
                    });
                    s.channel.eventLoop().schedule(() -> Clients.close(s), o.churnLifeMillis, TimeUnit.MILLISECONDS);
                });
            }
        }

        /** Stops opening, closes what is still open and waits (up to 10 s) for it. */
        void stop() throws InterruptedException {
            running = false;
            timer.shutdown();
            timer.awaitTermination(1, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pending.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            for (Session s : alive) {
                Clients.close(s);
            }
            while (!alive.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
    }
}
