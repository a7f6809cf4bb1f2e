package io.pushgate.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real nginx running one of the shipped configurations ({@code nginx/pushgate.conf} or
 * {@code nginx/pushgate-subpath.conf}) in front of a test server, with a certificate made by the
 * shipped {@code certs/generate.sh}.
 *
 * <p>The configuration under test is the shipped file, changed only by text substitution: its
 * {@code listen 443} and {@code listen 80} become free ports and the upstream {@code 127.0.0.1:8080}
 * becomes the test server's port. It is written to {@code <dir>/nginx/}, next to {@code <dir>/certs/},
 * so its relative paths ({@code ../certs/server.crt}, {@code nginx/run/...} under the prefix) resolve as
 * they do in the repository. nginx runs in the foreground ({@code -g 'daemon off;'}) as a child process.
 */
final class Nginx implements AutoCloseable {

    static final Path REPO = findRepo();

    private final Process process;
    private final Path dir;
    final int httpsPort;
    final int httpPort;

    private Nginx(Process process, Path dir, int httpsPort, int httpPort) {
        this.process = process;
        this.dir = dir;
        this.httpsPort = httpsPort;
        this.httpPort = httpPort;
    }

    /** Runs {@code certs/generate.sh --out <dir>/certs}: a local CA and a server certificate for localhost. */
    static Path generateCertificates(Path dir) throws IOException, InterruptedException {
        Path certs = dir.resolve("certs");
        Path log = dir.resolve("generate.log");
        Process generate = new ProcessBuilder("bash", REPO.resolve("certs/generate.sh").toString(), "--out", certs.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(generate.waitFor(60, TimeUnit.SECONDS)).as("certs/generate.sh finishes").isTrue();
        assertThat(generate.exitValue()).as("certs/generate.sh: %s", Files.readString(log)).isZero();
        return certs;
    }

    /**
     * Starts nginx with the shipped {@code nginx/<config>}, rendered into {@code <dir>/nginx/}, with the
     * certificates from {@code certs} (made by {@link #generateCertificates}) copied to {@code <dir>/certs/}.
     */
    static Nginx start(Path dir, String config, int upstreamPort, Path certs) throws IOException {
        return start(dir, config, upstreamPort, certs, Map.of());
    }

    /**
     * As {@link #start(Path, String, int, Path)}, with more text substitutions, each asserted to match: for a
     * test that puts something else behind the same nginx (an app's pages, as a site serving its app and
     * pushgate from one host does), without touching pushgate's locations.
     */
    static Nginx start(Path dir, String config, int upstreamPort, Path certs, Map<String, String> substitutions) throws IOException {
        Files.createDirectories(dir.resolve("certs"));
        for (String file : List.of("server.crt", "server.key")) {
            Files.copy(certs.resolve(file), dir.resolve("certs").resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        int httpsPort = freePort();
        int httpPort = freePort();
        String text = Files.readString(REPO.resolve("nginx").resolve(config));
        String rendered = replace(replace(replace(text,
                "listen 443 ", "listen " + httpsPort + " "),
                "listen 80;", "listen " + httpPort + ";"),
                "server 127.0.0.1:8080;", "server 127.0.0.1:" + upstreamPort + ";");
        for (Map.Entry<String, String> substitution : substitutions.entrySet()) {
            rendered = replace(rendered, substitution.getKey(), substitution.getValue());
        }
        Path conf = dir.resolve("nginx").resolve(config);
        Files.createDirectories(dir.resolve("nginx/run"));
        Files.writeString(conf, rendered);

        List<String> command = new ArrayList<>(List.of("nginx", "-p", dir + "/", "-c", conf.toString()));
        // As root, nginx's workers would switch to "nobody", which cannot enter a private temp directory
        // (proxy temp files); keep them as the test's user. Not root: the directive does not apply.
        command.addAll(List.of("-g", isRoot() ? "daemon off; user root;" : "daemon off;"));
        Path log = dir.resolve("nginx/run/stderr-" + httpsPort + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Nginx nginx = new Nginx(process, dir, httpsPort, httpPort);
        try {
            await("nginx listening on " + httpsPort).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("nginx exited with " + process.exitValue() + ": "
                                    + Files.readString(log, StandardCharsets.UTF_8));
                        }
                        return accepts(httpsPort) && accepts(httpPort);
                    });
        } catch (RuntimeException e) {
            nginx.close();
            throw e;
        }
        return nginx;
    }

    String https(String pathAndQuery) {
        return "https://localhost:" + httpsPort + pathAndQuery;
    }

    String wss(String pathAndQuery) {
        return "wss://localhost:" + httpsPort + pathAndQuery;
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: nginx's fast shutdown
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static String replace(String text, String from, String to) {
        assertThat(text).as("the shipped config contains '%s'", from).contains(from);
        return text.replace(from, to);
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static Path findRepo() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("nginx/pushgate.conf"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no nginx/pushgate.conf above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
