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
            usage: java -jar pushgate-bench.jar --scenario idle|uid|group|broadcast|churn [options]
              --transport ws|sse          client transport (ws)
              --connections N             sessions to open (1000)
              --duration S                measured seconds: held (idle) or publishing (10)
              --warmup S                  publishing seconds before the measured phase, not in latency/rates (0)
              --ws-url URL[,URL…]         client endpoint base, round-robin (ws://127.0.0.1:8080); /ws or /sse is
                                          appended unless the URL has a path
              --api-url URL[,URL…]        API base, round-robin (http://127.0.0.1:8080)
              --jwt-secret S              the server's pushgate.auth.jwt-secret (required)
              --api-key K                 one of the server's pushgate.api.keys (required unless idle)
              --source-ips K              spread client source addresses over 127.0.0.1..127.0.0.K (1)
              --uid-offset N              first uid number, so several generator processes use distinct uids (0)
              --rate R                    messages published per second, 0 = flat out (0)
              --inflight N                concurrent API requests = keep-alive API connections (16)
              --batch B                   messages per request; B > 1 uses /api/v1/messages:batch (1)
              --payload-bytes N           size of each message's data JSON (100)
              --group-size G              sessions per group in the group scenario (100)
              --churn-rate R              churn: extra sessions opened per second (100)
              --churn-life MS             churn: how long each extra session stays open (1000)
              --connect-concurrency N     handshakes in flight while connecting (256)
              --connect-retries N         retries per session after a failed connect (3)
              --connect-timeout MS        connect + handshake + welcome timeout (10000)
              --drain S                   seconds to wait for outstanding deliveries after publishing (5)
              --threads N                 event-loop threads (available processors)
              --server-pid P              server process: RSS and CPU time from /proc/P
              --server-gc true            with --server-pid: heap used after a full GC (jcmd) before connecting
                                          and after the measured phase, per connection (false)
              --warm-cycles N             before the baseline, open and close all connections N times, so
                                          that the young generation a connect burst uses is already resident
                                          and the RSS growth is what the sessions keep; the first burst's
                                          growth is reported as server_rss_cold_per_conn_kb (0)
              --event NAME                event name of published messages (bench)
            Progress goes to stderr every second; one JSON line of results goes to stdout.
            """;

    final String scenario;
    final String transport;
    final int connections;
    final double duration;
    final double warmup;
    final List<URI> wsUrls;
    final List<URI> apiUrls;
    final String jwtSecret;
    final String apiKey;
    final int sourceIps;
    final long uidOffset;
    final double rate;
    final int inflight;
    final int batch;
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

    Options(String[] args) {
        Map<String, String> m = parse(args);
        scenario = take(m, "scenario", "uid").toLowerCase(Locale.ROOT);
        if (!List.of("idle", "uid", "group", "broadcast", "churn").contains(scenario)) {
            throw new IllegalArgumentException("unknown --scenario " + scenario);
        }
        transport = take(m, "transport", "ws").toLowerCase(Locale.ROOT);
        if (!transport.equals("ws") && !transport.equals("sse")) {
            throw new IllegalArgumentException("--transport is ws or sse");
        }
        connections = Integer.parseInt(take(m, "connections", "1000"));
        duration = Double.parseDouble(take(m, "duration", "10"));
        warmup = Double.parseDouble(take(m, "warmup", "0"));
        wsUrls = uris(take(m, "ws-url", "ws://127.0.0.1:8080"));
        apiUrls = uris(take(m, "api-url", "http://127.0.0.1:8080"));
        jwtSecret = take(m, "jwt-secret", null);
        apiKey = take(m, "api-key", null);
        sourceIps = Integer.parseInt(take(m, "source-ips", "1"));
        uidOffset = Long.parseLong(take(m, "uid-offset", "0"));
        rate = Double.parseDouble(take(m, "rate", "0"));
        inflight = Integer.parseInt(take(m, "inflight", "16"));
        batch = Integer.parseInt(take(m, "batch", "1"));
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
