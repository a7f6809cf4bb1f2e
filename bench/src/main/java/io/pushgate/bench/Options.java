package io.pushgate.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Command-line options: {@code --name value} or {@code --name=value}. */
final class Options {

    static final String USAGE = """
            usage: java -jar pushgate-bench.jar --scenario idle|uid|group|broadcast|churn|talk|soak [options]
              --transport ws|sse          client transport (ws)
              --protocol pushgate|pusher  the clients' protocol (pushgate): pusher speaks Pusher Channels
                                          protocol 7 at /app/<--pusher-key>?protocol=7 (the server's
                                          pushgate.compat.pusher.*), subscribing to its channel after
                                          pusher:connection_established; broadcast and group, WebSocket only
              --channel NAME              broadcast: every session joins this group (a /ws token's groups
                                          claim, a Pusher subscribe) and publishes go to it instead of "all"
                                          (none for pushgate; bench-all for pusher)
              --publish-via pushgate|pusher  the API the messages go through (pushgate): pusher is Pusher's
                                          signed POST /apps/<--pusher-app-id>/events to the channel
              --pusher-app-id ID          the server's pushgate.compat.pusher.app-id (bench)
              --pusher-key K              its key (bench-key)
              --pusher-secret S           its secret (needed for --publish-via pusher)
              --connections N             sessions to open (1000)
              --duration S                measured seconds: held (idle) or publishing (10)
              --warmup S                  publishing seconds before the measured phase, not in latency/rates (0)
              --ws-url URL[,URL…]         client endpoint base, round-robin (ws://127.0.0.1:8080); /ws or /sse is
                                          appended unless the URL has a path
              --api-url URL[,URL…]        API base, round-robin (http://127.0.0.1:8080)
              --session-nodes K           sessions go round-robin over the first K --ws-url only, publishes
                                          still over every --api-url: a cluster whose sessions all sit on
                                          one node (1) while any node takes the publishes (all)
              --jwt-secret S              the server's pushgate.auth.jwt-secret (required)
              --api-key K                 one of the server's pushgate.api.keys (required unless idle)
              --source-ips K              spread client source addresses over 127.0.0.1..127.0.0.K (1)
              --uid-offset N              first uid number, so several generator processes use distinct uids (0)
              --rate R                    messages published per second, 0 = flat out (0); talk: client
                                          frames per second over all sessions (at most the server's
                                          pushgate.ws.frames-per-second, 20, per session)
              --inflight N                concurrent API requests = keep-alive API connections (16)
              --batch B                   messages per request; B > 1 uses /api/v1/messages:batch (1)
              --api-stream B              true: publish over one publish stream (WebSocket GET /api/v1/stream)
                                          per --api-url, --inflight publishes pipelined on it, instead of
                                          --inflight HTTP connections; --batch 1 only (false)
              --payload-bytes N           size of each message's data JSON (100)
              --idempotency-keys B        true: every single publish carries a fresh Idempotency-Key header, to
                                          measure what the server's check costs (false)
              --group-size G              sessions per group in the group scenario (100)
              --churn-rate R              churn: extra sessions opened per second (100)
              --churn-life MS             churn: how long each extra session stays open (1000)
              --connect-concurrency N     handshakes in flight while connecting (256)
              --connect-retries N         retries per session after a failed connect (3)
              --connect-timeout MS        connect + handshake + welcome timeout (10000)
              --drain S                   seconds to wait for outstanding deliveries after publishing (5)
              --threads N                 event-loop threads (available processors)
              --server-pid P              server process: RSS and CPU time from /proc/P
              --cpu-pids NAME=P[,NAME=P…] more processes (the other nodes, Redis) whose CPU time over the
                                          measured window is reported as cpu_NAME_pct and
                                          cpu_NAME_us_per_publish (none)
              --server-gc true            with --server-pid: heap used after a full GC (jcmd) before connecting
                                          and after the measured phase, per connection (false)
              --warm-cycles N             before the baseline, open and close all connections N times, so
                                          that the young generation a connect burst uses is already resident
                                          and the RSS growth is what the sessions keep; the first burst's
                                          growth is reported as server_rss_cold_per_conn_kb (0)
              --event NAME                event name of published messages and of talk's send frames (bench)
              --sink-url URL              an EventSink's base (http://127.0.0.1:18090): its event counts are
                                          read around the measured phase and reported as sink_* (none)
            talk: each session sends {"type":"send","event":…,"data":{"n":i},"ref":…} frames, the backend
            events of pushgate.events.url; WebSocket only, nothing published through the API. Replies are
            counted by outcome (no_backend when the server has no events url) and timed (reply_latency).
            soak (the mix runs for --duration; --rate is its uid publishes/s; sessions are in groups of
            --group-size; the churn options apply):
              --sample-interval S         seconds between samples of the server's RSS and heap after a full GC
                                          (duration/30, between 5 and 60)
              --settle S                  samples before this are not compared; the first one at or after it is
                                          the baseline (duration/6, at most 300)
              --growth-limit PCT          largest growth over the baseline allowed for RSS and heap (5)
              --group-rate R              group publishes/s, random group (20)
              --broadcast-rate R          publishes/s to all (2)
              --reconnect-rate R          steady sessions dropped per second, each reconnecting with
                                          ?cursor=<last cursor> after a random pause up to --away-max (10)
              --away-max MS               longest pause before a dropped session reconnects (5000)
              --slow-readers N            sessions that take turns to stop reading for a while, one per sample
                                          interval and ending 10 s before the next sample; in their own group,
                                          with a small receive buffer (10)
              --slow-readers-rate R       publishes/s to the uid of the slow reader whose turn it is, and as many
                                          to the slow readers' group (25)
              --slow-payload-bytes N      data size of those publishes, so that a long pause fills the server's
                                          socket buffer and queue (1024 frames) before the history's 1000
                                          messages per stream are gone (8192)
              --slow-pause-max MS         longest pause of a slow reader; pauses are half to all of it, less
                                          when the sample interval leaves no room (30000)
              --ttl-rate R                offline uids per second sent --ttl-messages messages with "ttl" and
                                          then connected (2)
              --ttl-messages K            messages held per offline uid (3)
              --ttl S                     the "ttl" of those messages, seconds (60)
              --history-window S          the server's pushgate.history.window: a reset of a cursor younger
                                          than this is a failure (120)
              --plot PATH                 the PNG of RSS and heap over time (bench/target/soak.png); the CSV of
                                          the samples goes beside it (same name, .csv)
            Progress goes to stderr every second; one JSON line of results goes to stdout.
            """;

    final String scenario;
    final String transport;
    /** {@code pushgate} (the /ws or /sse protocol) or {@code pusher}. */
    final String protocol;
    /** Broadcast's group (a Pusher channel), or null: publish to all. */
    final String channel;
    final String publishVia;
    final String pusherAppId;
    final String pusherKey;
    final String pusherSecret;
    final int connections;
    final double duration;
    final double warmup;
    final List<URI> wsUrls;
    final List<URI> apiUrls;
    /** How many of {@link #wsUrls}, from the first, the sessions go to. */
    final int sessionNodes;
    /** Processes whose CPU time is measured over the measured window, by name, in the order given. */
    final Map<String, Long> cpuPids;
    final String jwtSecret;
    final String apiKey;
    final int sourceIps;
    final long uidOffset;
    final double rate;
    final int inflight;
    final int batch;
    final boolean idempotencyKeys;
    final boolean apiStream;
    final int payloadBytes;
    final int groupSize;
    final double churnRate;
    final long churnLifeMillis;
    final int connectConcurrency;
    final int connectRetries;
    final long connectTimeoutMillis;
    final double drain;
    final int threads;
    final long serverPid;
    final String event;
    final boolean serverGc;
    final int warmCycles;
    final double sampleInterval;
    final double settle;
    final double growthLimitPct;
    final double groupRate;
    final double broadcastRate;
    final double reconnectRate;
    final long awayMaxMillis;
    final int slowReaders;
    final double slowRate;
    final int slowPayloadBytes;
    final long slowPauseMaxMillis;
    final double ttlRate;
    final int ttlMessages;
    final int ttlSeconds;
    final double historyWindow;
    final String plot;
    final String sinkUrl;

    Options(String[] args) {
        Map<String, String> m = parse(args);
        scenario = take(m, "scenario", "uid").toLowerCase(Locale.ROOT);
        if (!List.of("idle", "uid", "group", "broadcast", "churn", "talk", "soak").contains(scenario)) {
            throw new IllegalArgumentException("unknown --scenario " + scenario);
        }
        transport = take(m, "transport", "ws").toLowerCase(Locale.ROOT);
        if (!transport.equals("ws") && !transport.equals("sse")) {
            throw new IllegalArgumentException("--transport is ws or sse");
        }
        protocol = take(m, "protocol", "pushgate").toLowerCase(Locale.ROOT);
        if (!protocol.equals("pushgate") && !protocol.equals("pusher")) {
            throw new IllegalArgumentException("--protocol is pushgate or pusher");
        }
        channel = take(m, "channel", protocol.equals("pusher") ? "bench-all" : null);
        publishVia = take(m, "publish-via", "pushgate").toLowerCase(Locale.ROOT);
        if (!publishVia.equals("pushgate") && !publishVia.equals("pusher")) {
            throw new IllegalArgumentException("--publish-via is pushgate or pusher");
        }
        pusherAppId = take(m, "pusher-app-id", "bench");
        pusherKey = take(m, "pusher-key", "bench-key");
        pusherSecret = take(m, "pusher-secret", null);
        connections = Integer.parseInt(take(m, "connections", "1000"));
        duration = Double.parseDouble(take(m, "duration", "10"));
        warmup = Double.parseDouble(take(m, "warmup", "0"));
        wsUrls = uris(take(m, "ws-url", "ws://127.0.0.1:8080"));
        apiUrls = uris(take(m, "api-url", "http://127.0.0.1:8080"));
        String sessionNodesText = take(m, "session-nodes", null);
        sessionNodes = sessionNodesText == null ? wsUrls.size() : Integer.parseInt(sessionNodesText);
        if (sessionNodes < 1 || sessionNodes > wsUrls.size()) {
            throw new IllegalArgumentException("--session-nodes is 1.." + wsUrls.size() + " (the --ws-url count)");
        }
        cpuPids = pids(take(m, "cpu-pids", ""));
        jwtSecret = take(m, "jwt-secret", null);
        apiKey = take(m, "api-key", null);
        sourceIps = Integer.parseInt(take(m, "source-ips", "1"));
        uidOffset = Long.parseLong(take(m, "uid-offset", "0"));
        rate = Double.parseDouble(take(m, "rate", "0"));
        inflight = Integer.parseInt(take(m, "inflight", "16"));
        batch = Integer.parseInt(take(m, "batch", "1"));
        idempotencyKeys = Boolean.parseBoolean(take(m, "idempotency-keys", "false"));
        apiStream = Boolean.parseBoolean(take(m, "api-stream", "false"));
        payloadBytes = Integer.parseInt(take(m, "payload-bytes", "100"));
        groupSize = Integer.parseInt(take(m, "group-size", "100"));
        churnRate = Double.parseDouble(take(m, "churn-rate", "100"));
        churnLifeMillis = Long.parseLong(take(m, "churn-life", "1000"));
        connectConcurrency = Integer.parseInt(take(m, "connect-concurrency", "256"));
        connectRetries = Integer.parseInt(take(m, "connect-retries", "3"));
        connectTimeoutMillis = Long.parseLong(take(m, "connect-timeout", "10000"));
        drain = Double.parseDouble(take(m, "drain", "5"));
        threads = Integer.parseInt(take(m, "threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        serverPid = Long.parseLong(take(m, "server-pid", "0"));
        event = take(m, "event", "bench");
        serverGc = Boolean.parseBoolean(take(m, "server-gc", "false"));
        warmCycles = Integer.parseInt(take(m, "warm-cycles", "0"));
        sampleInterval = Double.parseDouble(take(m, "sample-interval", String.valueOf(Math.max(5, Math.min(60, duration / 30)))));
        settle = Double.parseDouble(take(m, "settle", String.valueOf(Math.min(300, duration / 6))));
        growthLimitPct = Double.parseDouble(take(m, "growth-limit", "5"));
        groupRate = Double.parseDouble(take(m, "group-rate", "20"));
        broadcastRate = Double.parseDouble(take(m, "broadcast-rate", "2"));
        reconnectRate = Double.parseDouble(take(m, "reconnect-rate", "10"));
        awayMaxMillis = Long.parseLong(take(m, "away-max", "5000"));
        slowReaders = Integer.parseInt(take(m, "slow-readers", "10"));
        slowRate = Double.parseDouble(take(m, "slow-readers-rate", "25"));
        slowPayloadBytes = Integer.parseInt(take(m, "slow-payload-bytes", "8192"));
        slowPauseMaxMillis = Long.parseLong(take(m, "slow-pause-max", "30000"));
        ttlRate = Double.parseDouble(take(m, "ttl-rate", "2"));
        ttlMessages = Integer.parseInt(take(m, "ttl-messages", "3"));
        ttlSeconds = Integer.parseInt(take(m, "ttl", "60"));
        historyWindow = Double.parseDouble(take(m, "history-window", "120"));
        plot = take(m, "plot", "bench/target/soak.png");
        sinkUrl = take(m, "sink-url", null);
        if (!m.isEmpty()) {
            throw new IllegalArgumentException("unknown option(s): " + m.keySet());
        }
        if (jwtSecret == null) {
            throw new IllegalArgumentException("--jwt-secret is required");
        }
        if (apiKey == null && !scenario.equals("idle")) {
            throw new IllegalArgumentException("--api-key is required for the " + scenario + " scenario");
        }
        if (sourceIps < 1 || sourceIps > 254) {
            throw new IllegalArgumentException("--source-ips is 1..254");
        }
        if (batch < 1 || inflight < 1 || connections < 0 || groupSize < 1) {
            throw new IllegalArgumentException("--batch, --inflight and --group-size are at least 1");
        }
        if (apiStream && batch != 1) {
            throw new IllegalArgumentException("--api-stream sends one publish a frame: --batch 1 only");
        }
        if (protocol.equals("pusher") && (transport.equals("sse") || !List.of("broadcast", "group").contains(scenario))) {
            // a Pusher connection has no uid of its own to publish to, and its messages are not /ws's replies
            throw new IllegalArgumentException("--protocol pusher: the broadcast and group scenarios, WebSocket only");
        }
        if (publishVia.equals("pusher") && (pusherSecret == null || batch != 1
                || !List.of("broadcast", "group").contains(scenario) || scenario.equals("broadcast") && channel == null)) {
            // Pusher's API publishes to channels, one event a request through /events
            throw new IllegalArgumentException("--publish-via pusher: --pusher-secret, --batch 1, and the group scenario "
                    + "or broadcast with a --channel");
        }
        if (scenario.equals("talk") && (transport.equals("sse") || rate <= 0)) {
            throw new IllegalArgumentException("talk: WebSocket only, and --rate > 0 (client frames per second)");
        }
        if (scenario.equals("soak") && (sampleInterval <= 0 || settle < 0 || settle >= duration
                || slowReaders < 0 || slowReaders > connections || transport.equals("sse") || batch != 1)) {
            throw new IllegalArgumentException("soak: --sample-interval > 0, 0 <= --settle < --duration, "
                    + "--slow-readers <= --connections, WebSocket and --batch 1 only");
        }
    }

    /** The {@code --ws-url} session number {@code n} goes to: round-robin over the first {@code --session-nodes}. */
    URI sessionUrl(int n) {
        return wsUrls.get(Math.floorMod(n, sessionNodes));
    }

    boolean publishes() {
        return !scenario.equals("idle");
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                throw new IllegalArgumentException("help");
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            int eq = a.indexOf('=');
            if (eq > 0) {
                m.put(a.substring(2, eq), a.substring(eq + 1));
            } else if (i + 1 < args.length) {
                m.put(a.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException(a + " needs a value");
            }
        }
        return m;
    }

    private static String take(Map<String, String> m, String name, String fallback) {
        String v = m.remove(name);
        return v == null ? fallback : v;
    }

    /** {@code NAME=P,…}: names stay in the order given, each a key of the result's JSON. */
    static Map<String, Long> pids(String list) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String s : list.split(",")) {
            if (s.isBlank()) {
                continue;
            }
            int eq = s.indexOf('=');
            if (eq < 1 || !s.substring(0, eq).trim().matches("[A-Za-z0-9_]+")) {
                throw new IllegalArgumentException("--cpu-pids takes NAME=PID pairs, NAME of letters, digits and _: " + s);
            }
            out.put(s.substring(0, eq).trim(), Long.parseLong(s.substring(eq + 1).trim()));
        }
        return out;
    }

    private static List<URI> uris(String list) {
        List<URI> out = new ArrayList<>();
        for (String s : list.split(",")) {
            if (!s.isBlank()) {
                out.add(URI.create(s.trim()));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("empty URL list");
        }
        return out;
    }
}
