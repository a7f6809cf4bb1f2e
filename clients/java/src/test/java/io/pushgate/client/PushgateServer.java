package io.pushgate.client;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * The server as a user runs it: {@code app/target/pushgate.jar} (built before this module in the
 * reactor) started as a process on a free port, with known secrets. Shared with the PHP client's tests
 * (this module's test jar).
 */
public final class PushgateServer implements AutoCloseable {

    public static final String API_KEY = "client-test-api-key-0123456789abcdef";
    public static final String JWT_SECRET = "client-test-jwt-secret-0123456789abcdef";
    public static final String KID = "k2";
    public static final String KID_SECRET = "client-test-rotated-secret-0123456789ab";

    public final int port;
    private final Process process;
    private final Path log;

    private PushgateServer(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
    }

    public static PushgateServer start() throws IOException {
        Path jar = Path.of(System.getProperty("pushgate.jar", "../../app/target/pushgate.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: build the app module first (./mvnw package from the root)");
        }
        int port = freePort();
        Path log = Files.createTempFile("pushgate-client-it", ".log");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xmx256m", "-jar", jar.toAbsolutePath().toString(),
                "--server.port=" + port,
                "--management.server.port=0", // not the default 9090, which another server may hold
                "--pushgate.api.keys=" + API_KEY,
                "--pushgate.auth.jwt-secret=" + JWT_SECRET,
                "--pushgate.auth.jwt-keys." + KID + "=" + KID_SECRET));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PushgateServer server = new PushgateServer(port, process, log);
        // a test JVM that dies without running @AfterAll must not leave the server running
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        try {
            // the start-up log says "pushgate <version> is up: WebSocket …" once the node serves
            await().atMost(Duration.ofSeconds(90)).until(() -> server.log().contains(" is up: WebSocket ") || !process.isAlive());
        } catch (RuntimeException e) {
            server.close();
            throw new IllegalStateException("the server did not start:\n" + server.log(), e);
        }
        if (!process.isAlive()) {
            throw new IllegalStateException("the server exited:\n" + server.log());
        }
        return server;
    }

    public String url() {
        return "http://localhost:" + port;
    }

    String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
            Files.deleteIfExists(log);
        } catch (IOException | InterruptedException ignored) {
            // a temp file left behind is harmless
        }
    }
}
