package io.pushgate.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The server seen from outside: {@code /proc/<pid>} for memory and CPU, {@code GET /api/v1/stats} for sessions. */
final class ServerProbe {

    private final long pid;
    private final List<URI> apiUrls;
    private final String apiKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final long ticksPerSecond;

    ServerProbe(long pid, List<URI> apiUrls, String apiKey) {
        this.pid = pid;
        this.apiUrls = apiUrls;
        this.apiKey = apiKey;
        this.ticksPerSecond = clockTicks();
    }

    boolean hasPid() {
        return pid > 0 && Files.exists(Path.of("/proc/" + pid + "/status"));
    }

    /** Resident set size in KiB ({@code VmRSS}), or -1. */
    long rssKib() {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** User + system CPU time in µs ({@code utime + stime} of {@code /proc/<pid>/stat}), or -1. */
    long cpuMicros() {
        return cpuMicros(pid);
    }

    /** User + system CPU time in µs of any process {@code p}, as {@link #cpuMicros()}; -1 when it cannot be read. */
    long cpuMicros(long p) {
        if (p <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + p + "/stat"));
            // the command name (field 2) may hold spaces: count fields after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15
            return ticks * 1_000_000L / ticksPerSecond;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Total sessions over every node ({@code total.sessions} of the stats of every API URL's node), or -1. */
    long sessions() {
        if (apiKey == null) {
            return -1;
        }
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(apiUrls.get(0).toString().replaceAll("/+$", "") + "/api/v1/stats"))
                    .header("Authorization", "Bearer " + apiKey).timeout(Duration.ofSeconds(5)).GET().build();
            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                return -1;
            }
            return Json.firstAfter(res.body(), "\"total\"", "sessions");
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The event types an {@link EventSink} counts, in the order of {@link #sinkCounts}'s array after events and batches. */
    static final String[] SINK_TYPES = {"connect", "disconnect", "online", "offline", "message", "join", "leave"};

    /**
     * An {@link EventSink}'s counts ({@code GET <url>/count}): events, batches, then one per {@link #SINK_TYPES};
     * null without a URL or when it does not answer.
     */
    long[] sinkCounts(String sinkUrl) {
        if (sinkUrl == null || sinkUrl.isBlank()) {
            return null;
        }
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(sinkUrl.replaceAll("/+$", "") + "/count"))
                    .timeout(Duration.ofSeconds(5)).GET().build();
            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                return null;
            }
            String body = res.body();
            long[] counts = new long[2 + SINK_TYPES.length];
            counts[0] = Json.firstAfter(body, "{", "events");
            counts[1] = Json.firstAfter(body, "{", "batches");
            for (int t = 0; t < SINK_TYPES.length; t++) {
                counts[2 + t] = Json.firstAfter(body, "{", SINK_TYPES[t]);
            }
            return counts;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Heap in use after a full collection, in KiB, or -1: {@code jcmd <pid> GC.run}, then the {@code used}
     * figure of {@code GC.heap_info}. Needs {@code jcmd} (a JDK) and the same user as the server.
     */
    long heapUsedAfterGcKib() {
        if (pid <= 0) {
            return -1;
        }
        try {
            jcmd("GC.run");
            return usedKib(jcmd("GC.heap_info"));
        } catch (Exception e) {
            return -1;
        }
    }

    /** JDK 17: "heap   total 1048576K, used 40313K"; JDK 25: "heap   total reserved 1048576K, committed …, used …". */
    private static final java.util.regex.Pattern HEAP_USED = java.util.regex.Pattern.compile("heap\\s+total [^\\n]*?, used (\\d+)K");

    /** The {@code used} figure of a {@code GC.heap_info} answer, in KiB, or -1. */
    static long usedKib(String heapInfo) {
        java.util.regex.Matcher m = HEAP_USED.matcher(heapInfo);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            long v = Long.parseLong(out);
            return v > 0 ? v : 100;
        } catch (Exception e) {
            return 100;
        }
    }
}
