package io.pushgate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar in a small heap: one message held for seven days must not make every later publish
 * cost memory. The node's heap after a full collection is the same, within a few MB, after two million
 * further publishes as it was after a warm-up.
 */
class HistoryMemoryIT {

    static final int PUBLISHES = 2_000_000;
    static final int WARM_UP = 200_000;
    static final int BATCH = 1000; // pushgate.api.max-batch's default
    static final int CLIENTS = 4;
    static final long MAX_GROWTH_KIB = 8 * 1024;

    @TempDir
    Path dir;

    Process server;

    @AfterEach
    void kill() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    @Test
    void aMessageHeldForDaysKeepsNothingOfTwoMillionLaterPublishes() throws Exception {
        int port = ProcessLifecycleIT.freePort();
        Path log = dir.resolve("server.log");
        Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
        List<String> command = List.of(java.toString(), "-Xmx128m", "-XX:+UseG1GC", "-jar",
                ProcessLifecycleIT.JAR.toAbsolutePath().toString(), "--server.port=" + port,
                "--management.server.port=0",
                "--pushgate.auth.jwt-secret=" + TestSecrets.JWT_SECRET, "--pushgate.api.keys=" + TestSecrets.API_KEY,
                "--pushgate.history.window=2m", "--pushgate.history.max-messages=10",
                "--pushgate.history.max-total-messages=1000", "--pushgate.history.max-held-messages=1000");
        server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> ProcessLifecycleIT.read(log).contains(" is up: "));

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI one = URI.create("http://localhost:" + port + "/api/v1/messages");
        URI batch = URI.create("http://localhost:" + port + "/api/v1/messages:batch");
        HttpResponse<String> held = http.send(post(one,
                "{\"to\":{\"uids\":[\"keeper\"]},\"event\":\"kept\",\"data\":\"for a week\",\"ttl\":604800}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(held.statusCode()).isEqualTo(200);
        assertThat(held.body()).contains("\"offline\":[\"keeper\"]");

        // ten uid streams of ten messages each: the history stays far below its node-wide cap, so only
        // the index could grow with the publishes
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < BATCH; i++) {
            body.append(i == 0 ? "" : ",").append("{\"to\":{\"uids\":[\"u").append(i % 10)
                    .append("\"]},\"event\":\"e\",\"data\":").append(i).append('}');
        }
        String publishes = body.append(']').toString();

        long started = System.nanoTime();
        publish(http, batch, publishes, WARM_UP);
        long before = heapAfterFullGcKib();
        publish(http, batch, publishes, PUBLISHES - WARM_UP);
        long seconds = (System.nanoTime() - started) / 1_000_000_000;
        long after = heapAfterFullGcKib();
        System.out.printf("HistoryMemoryIT: %d publishes in %d s; heap after full GC %d KiB after %d, %d KiB after %d%n",
                PUBLISHES, seconds, before, WARM_UP, after, PUBLISHES);

        assertThat(after - before).as("heap growth in KiB over %d publishes", PUBLISHES - WARM_UP)
                .isLessThanOrEqualTo(MAX_GROWTH_KIB);
        try (WsTestClient keeper = WsTestClient.connect(URI.create("ws://localhost:" + port + "/ws?token="
                + TestSecrets.token("keeper")))) {
            keeper.nextOfType("welcome");
            assertThat(keeper.nextMessage().path("event").asString()).isEqualTo("kept");
        }
    }

    static HttpRequest post(URI uri, String json) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + TestSecrets.API_KEY)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    /** {@code count} publishes in batches, from several clients at once. */
    static void publish(HttpClient http, URI batch, String publishes, int count) throws Exception {
        AtomicLong left = new AtomicLong(count / BATCH);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(clients.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        HttpResponse<Void> answer = http.send(post(batch, publishes), HttpResponse.BodyHandlers.discarding());
                        assertThat(answer.statusCode()).isEqualTo(200);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
        }
    }

    /** JDK 17: "heap   total 131072K, used 40313K"; later JDKs: "heap   total reserved …, committed …, used …". */
    static final Pattern HEAP_USED = Pattern.compile("heap\\s+total [^\\n]*?, used (\\d+)K");

    long heapAfterFullGcKib() throws IOException, InterruptedException {
        jcmd("GC.run");
        Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
        assertThat(used.find()).as("jcmd GC.heap_info answers the heap in use").isTrue();
        return Long.parseLong(used.group(1));
    }

    String jcmd(String what) throws IOException, InterruptedException {
        Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
        Path jcmd = java.resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(server.pid()), what).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
