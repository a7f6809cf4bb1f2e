package io.pushgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * A real Redis Sentinel ({@code redis-server <conf> --sentinel}, no Docker) on a free loopback port,
 * monitoring a {@link RedisServer} as master {@value #MASTER} with a quorum of 1. Clients configured with
 * {@code spring.data.redis.sentinel.master=mymaster} and {@link #nodes()} find the master through it.
 *
 * <p>{@link #start(RedisServer)} returns only once the sentinel answers {@code PING} and names the master's
 * address for {@value #MASTER}. Its config file is {@code target/sentinel-<port>.conf} (written afresh at
 * each start: a sentinel rewrites its own config), its output {@code target/sentinel-<port>.log}. Not
 * thread-safe: one test thread starts and stops it.
 */
public final class RedisSentinel implements AutoCloseable {

    /** The name the sentinel knows the master by. */
    public static final String MASTER = "mymaster";

    private final RedisProcess process;
    private final Path config;
    private final RedisServer master;

    private RedisSentinel(int port, RedisServer master) {
        this.master = master;
        this.config = Path.of("target", "sentinel-" + port + ".conf").toAbsolutePath();
        this.process = new RedisProcess("redis-sentinel", port, Path.of("target", "sentinel-" + port + ".log"),
                List.of("redis-server", config.toString(), "--sentinel"));
    }

    /**
     * Starts a sentinel monitoring {@code master} and waits until it answers {@code PING} and reports the
     * master's port for {@value #MASTER}.
     *
     * @throws IllegalStateException when {@code redis-server} is not installed or the sentinel does not come up
     */
    public static RedisSentinel start(RedisServer master) {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < RedisProcess.PORT_ATTEMPTS; attempt++) {
            RedisSentinel sentinel = new RedisSentinel(RedisProcess.freePort(), master);
            try {
                sentinel.launch();
                return sentinel;
            } catch (RedisProcess.PortTaken e) {
                failure = e; // the port was bound meanwhile: pick another
            }
        }
        throw failure;
    }

    public int port() {
        return process.port();
    }

    /** The value for {@code spring.data.redis.sentinel.nodes}: {@code 127.0.0.1:<port>}. */
    public String nodes() {
        return "127.0.0.1:" + port();
    }

    /** Ends the sentinel and waits for it to exit. Idempotent. The master is left running. */
    public void stop() {
        process.stop();
    }

    @Override
    public void close() {
        stop();
    }

    /** Sends one command to the sentinel; see {@link RedisServer#command(String...)} for the reply. */
    public @Nullable String command(String... args) {
        return process.command(args);
    }

    @Override
    public String toString() {
        return process + " monitoring " + MASTER + " at " + master;
    }

    private void launch() {
        try {
            Files.createDirectories(config.getParent());
            Files.writeString(config, String.join("\n",
                    "port " + port(),
                    "bind 127.0.0.1",
                    "protected-mode no",
                    "daemonize no",
                    "sentinel monitor " + MASTER + " 127.0.0.1 " + master.port() + " 1",
                    ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config, e);
        }
        process.launch();
        awaitMaster();
    }

    /** Polls until the sentinel names the master's address; fails after {@link RedisProcess#READY_WAIT}. */
    private void awaitMaster() {
        String expected = "*2\r\n$9\r\n127.0.0.1\r\n$" + String.valueOf(master.port()).length() + "\r\n" + master.port() + "\r\n";
        long deadline = System.nanoTime() + RedisProcess.READY_WAIT.toNanos();
        String last = null;
        while (true) {
            try {
                last = process.command("SENTINEL", "get-master-addr-by-name", MASTER);
                if (expected.equals(last)) {
                    return;
                }
            } catch (IllegalStateException e) {
                last = e.getMessage();
            }
            if (System.nanoTime() - deadline > 0) {
                stop();
                throw new IllegalStateException(process + " did not name " + master + " as " + MASTER + " within "
                        + RedisProcess.READY_WAIT + " (last answer: " + last + "); see " + process.log());
            }
            LockSupport.parkNanos(RedisProcess.POLL.toNanos());
        }
    }
}
