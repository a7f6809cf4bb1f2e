package io.pushgate.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * One {@code redis-server} process (a plain server, a Sentinel or a Cluster node) on a loopback port,
 * and a minimal RESP client to talk to any such port: what {@link RedisServer}, {@link RedisSentinel} and
 * {@link RedisClusterServers} share.
 *
 * <p>{@link #launch()} returns only once the process answers {@code PING}, {@link #stop()} only once it
 * has exited. Its output goes to a log file under {@code target/}, appended to across restarts. Not
 * thread-safe.
 */
final class RedisProcess {

    static final Duration READY_WAIT = Duration.ofSeconds(10);
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);
    static final Duration POLL = Duration.ofMillis(20);
    /** How often a start tries another port when the one it picked was taken meanwhile. */
    static final int PORT_ATTEMPTS = 3;
    private static final String NOT_INSTALLED =
            "redis-server is not installed: apt-get install -y redis-server (the cluster tests start a real Redis on a free port)";

    private final String name;
    private final int port;
    private final Path log;
    private final List<String> command;
    private @Nullable Process process;
    /** Kills the process when the JVM exits without {@link #stop()}, so no server outlives the test run. */
    private @Nullable Thread reaper;

    /**
     * @param name    what the process is, for messages ("redis-server", "redis-sentinel", ...)
     * @param command the command line; it must make the process listen on {@code port} of 127.0.0.1
     */
    RedisProcess(String name, int port, Path log, List<String> command) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.command = List.copyOf(command);
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    boolean isRunning() {
        return process != null;
    }

    /**
     * Starts the process and waits until it answers {@code PING}.
     *
     * @throws PortTaken             when the port (or a Cluster node's bus port) was bound by someone else
     * @throws IllegalStateException when {@code redis-server} is not installed or does not come up
     */
    void launch() {
        if (process != null) {
            throw new IllegalStateException(this + " is already running");
        }
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process started;
        try {
            started = builder.start();
            started.getOutputStream().close(); // it reads nothing from stdin
        } catch (IOException e) {
            throw new IllegalStateException(NOT_INSTALLED, e);
        }
        process = started;
        reaper = new Thread(started::destroyForcibly, name + "-" + port + "-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        awaitPong(started);
    }

    /** Ends the process (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. Idempotent. */
    void stop() {
        Process running = process;
        process = null;
        Thread hook = reaper;
        reaper = null;
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook runs anyway
            }
        }
        if (running == null) {
            return;
        }
        running.destroy();
        try {
            if (!running.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                running.destroyForcibly();
                if (!running.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException(name + " on port " + port + " did not exit; see " + log);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.destroyForcibly();
            throw new IllegalStateException("interrupted while stopping " + name + " on port " + port, e);
        }
    }

    /** Kills the process as a crash would ({@code SIGKILL}: no shutdown, its sockets reset) and waits for it to exit. Idempotent. */
    void kill() {
        Process running = process;
        if (running != null) {
            running.destroyForcibly();
        }
        stop();
    }

    /** As {@link #command(String, int, String...)} on this process's port. */
    @Nullable String command(String... args) {
        return command(name, port, args);
    }

    @Override
    public String toString() {
        return name + " on 127.0.0.1:" + port + (process == null ? " (stopped)" : "");
    }

    /** Polls with PING until {@code +PONG}; fails when the process exits first or after {@link #READY_WAIT}. */
    private void awaitPong(Process started) {
        long deadline = System.nanoTime() + READY_WAIT.toNanos();
        while (true) {
            if (!started.isAlive()) {
                stop();
                String output = logText();
                String message = name + " on port " + port + " exited with " + started.exitValue()
                        + " before answering PING; " + log + ":\n" + output;
                throw output.contains("Address already in use") ? new PortTaken(message) : new IllegalStateException(message);
            }
            if (pong(port)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                stop();
                throw new IllegalStateException(name + " on port " + port + " did not answer PING within "
                        + READY_WAIT + "; see " + log);
            }
            LockSupport.parkNanos(POLL.toNanos());
        }
    }

    private String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    // --- ports ---

    /** A port of 127.0.0.1 that was free a moment ago. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    /** Whether nothing listens on the port of 127.0.0.1 right now. */
    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The port picked was bound by someone else before the process could take it. */
    static final class PortTaken extends IllegalStateException {
        PortTaken(String message) {
            super(message);
        }
    }

    // --- RESP ---

    /**
     * Sends one command over a fresh connection to {@code port} and returns its reply: the text of a simple
     * string, the digits of an integer, the content of a bulk string ({@code null} for a null bulk string),
     * and for an array the raw RESP text of the whole reply.
     *
     * @throws IllegalStateException when the server answers with an error ({@code -ERR …}, the message)
     *                               or cannot be reached
     */
    static @Nullable String command(String name, int port, String... args) {
        try (Socket socket = connect(port, Duration.ofSeconds(10))) {
            write(socket.getOutputStream(), args);
            Reply reply = read(new BufferedInputStream(socket.getInputStream()));
            if (reply.error()) {
                throw new IllegalStateException(reply.value());
            }
            return reply.value();
        } catch (IOException e) {
            throw new IllegalStateException(name + " on port " + port + " did not answer " + List.of(args), e);
        }
    }

    static boolean pong(int port) {
        try (Socket socket = connect(port, Duration.ofMillis(500))) {
            OutputStream out = socket.getOutputStream();
            out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return "+PONG".equals(line(new BufferedInputStream(socket.getInputStream())));
        } catch (IOException e) {
            return false; // not listening yet, or still loading
        }
    }

    private static Socket connect(int port, Duration timeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private record Reply(@Nullable String value, boolean error) {
    }

    private static void write(OutputStream out, String... args) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            frame.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            frame.writeBytes(bytes);
            frame.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    private static Reply read(InputStream in) throws IOException {
        String line = line(in);
        if (line.isEmpty()) {
            throw new IOException("empty reply line");
        }
        String rest = line.substring(1);
        return switch (line.charAt(0)) {
            case '+', ':' -> new Reply(rest, false);
            case '-' -> new Reply(rest, true);
            case '$' -> new Reply(bulk(in, Integer.parseInt(rest)), false);
            case '*' -> {
                StringBuilder raw = new StringBuilder(line).append("\r\n");
                rawElements(in, Integer.parseInt(rest), raw);
                yield new Reply(raw.toString(), false);
            }
            default -> throw new IOException("not a RESP2 reply: " + line);
        };
    }

    /** Appends {@code count} array elements (nested arrays included) to {@code raw} as received. */
    private static void rawElements(InputStream in, int count, StringBuilder raw) throws IOException {
        for (int i = 0; i < count; i++) {
            String line = line(in);
            raw.append(line).append("\r\n");
            if (line.startsWith("$")) {
                String content = bulk(in, Integer.parseInt(line.substring(1)));
                if (content != null) {
                    raw.append(content).append("\r\n");
                }
            } else if (line.startsWith("*")) {
                rawElements(in, Integer.parseInt(line.substring(1)), raw);
            }
        }
    }

    private static @Nullable String bulk(InputStream in, int length) throws IOException {
        if (length < 0) {
            return null;
        }
        byte[] bytes = in.readNBytes(length + 2); // with the trailing CRLF
        if (bytes.length < length + 2) {
            throw new EOFException("bulk string cut short");
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** One line without its CRLF. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed mid-reply");
            }
            if (previous == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            previous = b;
        }
    }
}
