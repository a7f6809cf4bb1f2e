package io.pushgate.support;

import java.nio.file.Path;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A real {@code redis-server} (the binary on the {@code PATH}, no Docker) on a free loopback port, for
 * the cluster tests. Persistence is off, so its data lives only as long as the process:
 * {@link #restart()} is "Redis restarted and lost everything", on the same port so clients reconnect.
 *
 * <p>{@link #start()} returns only once the server answers {@code PING}, and {@link #stop()} only once
 * the process has exited. The server's output goes to {@code target/redis-<port>.log} (appended to
 * across restarts). Not thread-safe: one test thread starts, restarts and stops it.
 */
public final class RedisServer implements AutoCloseable {

    private final RedisProcess process;

    private RedisServer(int port) {
        this.process = new RedisProcess("redis-server", port, Path.of("target", "redis-" + port + ".log"), List.of(
                "redis-server",
                "--port", String.valueOf(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no",
                "--daemonize", "no"));
    }

    /**
     * Starts a server on a free port of 127.0.0.1 and waits until it answers {@code PING}.
     *
     * @throws IllegalStateException when {@code redis-server} is not installed or does not come up
     */
    public static RedisServer start() {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < RedisProcess.PORT_ATTEMPTS; attempt++) {
            RedisServer server = new RedisServer(RedisProcess.freePort());
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
