package io.pushgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * A real {@code redis-server} (the binary on the {@code PATH}, no Docker) on a free loopback port, for
 * the cluster tests. Persistence is off, so its data lives only as long as the process:
 * {@link #restart()} is "Redis restarted and lost everything", on the same port so clients reconnect.
 *
 * <p>{@link #start()} returns only once the server answers {@code PING}, and {@link #stop()} only once
 * the process has exited. The server's output goes to {@code target/redis-<port>.log} (appended to
 * across restarts), its working directory is {@code target/redis-<port>.d}. {@link #startReplicaOf(RedisServer)}
 * starts a replica, for a {@link RedisSentinel} to promote. Not thread-safe: one test thread starts, restarts and stops it.
 */
public final class RedisServer implements AutoCloseable {

    private final RedisProcess process;

    private RedisServer(int port, List<String> extraArgs) {
        List<String> command = new ArrayList<>(List.of(
                "redis-server",
                "--port", String.valueOf(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no",
                "--daemonize", "no",
                // a replica (or a master a Sentinel demoted) writes the master's snapshot to its dir on sync,
                // and any server loads a dump.rdb found there at start: one dir per server, none shared
                "--dir", dir(port).toString()));
        command.addAll(extraArgs);
        this.process = new RedisProcess("redis-server", port, Path.of("target", "redis-" + port + ".log"), command);
    }

    /**
     * Starts a server on a free port of 127.0.0.1 and waits until it answers {@code PING}.
     *
     * @throws IllegalStateException when {@code redis-server} is not installed or does not come up
     */
    public static RedisServer start() {
        return start(List.of());
    }

    /**
     * Starts a replica of {@code master} ({@code --replicaof}) on a free port of 127.0.0.1 and waits until it
     * answers {@code PING} and its link to the master is up ({@code master_link_status:up}), so it holds the
     * master's data. A {@link #restart()} starts it as a replica of that master again.
     *
     * @throws IllegalStateException when {@code redis-server} is not installed, does not come up or does not
     *                               reach the master within {@link RedisProcess#READY_WAIT}
     */
    public static RedisServer startReplicaOf(RedisServer master) {
        RedisServer replica = start(List.of("--replicaof", "127.0.0.1", String.valueOf(master.port())));
        long deadline = System.nanoTime() + RedisProcess.READY_WAIT.toNanos();
        String info = null;
        while (info == null || !info.contains("master_link_status:up")) {
            if (System.nanoTime() - deadline > 0) {
                replica.stop();
                throw new IllegalStateException(replica + " did not link to " + master + " within "
                        + RedisProcess.READY_WAIT + "; INFO replication:\n" + info);
            }
            LockSupport.parkNanos(RedisProcess.POLL.toNanos());
            info = replica.command("INFO", "replication");
        }
        return replica;
    }

    private static RedisServer start(List<String> extraArgs) {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < RedisProcess.PORT_ATTEMPTS; attempt++) {
            int port = RedisProcess.freePort();
            try {
                Files.createDirectories(dir(port));
                Files.deleteIfExists(dir(port).resolve("dump.rdb")); // a replica's of an earlier run on this port
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            RedisServer server = new RedisServer(port, extraArgs);
            try {
                server.process.launch();
                return server;
            } catch (RedisProcess.PortTaken e) {
                // another process bound the port between freePort() and redis-server's bind: pick another
                failure = e;
            }
        }
        throw failure;
    }

    /** The server's working directory, where a replica keeps the snapshot it synced: {@code target/redis-<port>.d}. */
    private static Path dir(int port) {
        return Path.of("target", "redis-" + port + ".d").toAbsolutePath();
    }

    public int port() {
        return process.port();
    }

    /** Ends the process (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. Idempotent. */
    public void stop() {
        process.stop();
    }

    /**
     * Stops the server and starts a new one on the same port with the same arguments, returning once it
     * answers {@code PING}. All data is gone, as persistence is off.
     */
    public void restart() {
        stop();
        process.launch();
    }

    @Override
    public void close() {
        stop();
    }

    /** Whether the process is running (not {@link #stop() stopped}). */
    public boolean isRunning() {
        return process.isRunning();
    }

    /** {@code master} or {@code slave}: the {@code role:} line of {@code INFO replication}. */
    public String role() {
        String info = String.valueOf(command("INFO", "replication"));
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("role:")) {
                return line.substring("role:".length()).trim();
            }
        }
        throw new IllegalStateException(this + " named no role in INFO replication: " + info);
    }

    /**
     * Sends one command over a fresh connection and returns its reply: the text of a simple string, the
     * digits of an integer, the content of a bulk string ({@code null} for a null bulk string), and for an
     * array the raw RESP text of the whole reply.
     *
     * @throws IllegalStateException when the server answers with an error ({@code -ERR …}, the message)
     *                               or cannot be reached
     */
    public @Nullable String command(String... args) {
        return process.command(args);
    }

    @Override
    public String toString() {
        return process.toString();
    }
}
