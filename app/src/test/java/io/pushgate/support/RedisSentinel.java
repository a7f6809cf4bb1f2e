package io.pushgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * A real Redis Sentinel ({@code redis-server <conf> --sentinel}, no Docker) on a free loopback port,
 * monitoring a {@link RedisServer} as master {@value #MASTER} with a quorum of 1. Clients configured with
 * {@code spring.data.redis.sentinel.master=mymaster} and {@link #nodes()} find the master through it.
 * Given replicas ({@link RedisServer#startReplicaOf(RedisServer)}), it fails over to one of them on
 * {@link #failover()} or when the master has not answered for {@value #DOWN_AFTER_MS} ms; {@link #masterPort()}
 * and {@link #awaitMasterOtherThan(int)} follow the master it names.
 *
 * <p>{@link #start(RedisServer)} returns only once the sentinel answers {@code PING} and names the master's
 * address for {@value #MASTER}. Its config file is {@code target/sentinel-<port>.conf} (written afresh at
 * each start: a sentinel rewrites its own config), its output {@code target/sentinel-<port>.log}. Not
 * thread-safe: one test thread starts and stops it.
 */
public final class RedisSentinel implements AutoCloseable {

    /** The name the sentinel knows the master by. */
    public static final String MASTER = "mymaster";
    /** How long the master may not answer before the sentinel deems it down and fails over. */
    public static final int DOWN_AFTER_MS = 1500;
    /** Bounds a failover's steps; a failover of the same master is not retried within twice this. */
    private static final int FAILOVER_TIMEOUT_MS = 5000;
    /** A failover, from its start or from a master's death, until the sentinel names the new master. */
    public static final Duration FAILOVER_WAIT = Duration.ofSeconds(30);

    private final RedisProcess process;
    private final Path config;
    private final RedisServer master;

    private final List<RedisServer> replicas;

    private RedisSentinel(int port, RedisServer master, List<RedisServer> replicas) {
        this.master = master;
        this.replicas = List.copyOf(replicas);
        this.config = Path.of("target", "sentinel-" + port + ".conf").toAbsolutePath();
        this.process = new RedisProcess("redis-sentinel", port, Path.of("target", "sentinel-" + port + ".log"),
                List.of("redis-server", config.toString(), "--sentinel"));
    }

    /**
     * Starts a sentinel monitoring {@code master} and waits until it answers {@code PING}, reports the
     * master's port for {@value #MASTER}, and lists each of {@code replicas} as a healthy replica (which it
     * learns from the master's {@code INFO}), so a failover can pick one.
     *
     * @param replicas replicas of {@code master}, already linked to it
     * @throws IllegalStateException when {@code redis-server} is not installed or the sentinel does not come up
     */
    public static RedisSentinel start(RedisServer master, RedisServer... replicas) {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < RedisProcess.PORT_ATTEMPTS; attempt++) {
            RedisSentinel sentinel = new RedisSentinel(RedisProcess.freePort(), master, List.of(replicas));
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

    /** The port of the master the sentinel names now (it changes with a failover). */
    public int masterPort() {
        return portOf(process.command("SENTINEL", "get-master-addr-by-name", MASTER));
    }

    /**
     * Asks for a failover ({@code SENTINEL FAILOVER}, as an operator would before maintenance): the
     * sentinel promotes a replica and later turns the old master into a replica of it. Retries while the
     * sentinel has no replica fit to promote yet ({@code NOGOODSLAVE}) or a failover is in progress, and
     * returns once it names a master other than the one before.
     *
     * @return the new master's port
     */
    public int failover() {
        int before = masterPort();
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        while (true) {
            try {
                process.command("SENTINEL", "FAILOVER", MASTER);
                break;
            } catch (IllegalStateException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(this + " refused to fail over within " + FAILOVER_WAIT + ": "
                            + e.getMessage() + "; see " + process.log(), e);
                }
                LockSupport.parkNanos(RedisProcess.POLL.toNanos() * 5);
            }
        }
        return awaitMasterOtherThan(before);
    }

    /**
     * Waits until the sentinel names a master other than the one on {@code port} (after {@link #failover()}
     * or the master's death) and returns its port.
     */
    public int awaitMasterOtherThan(int port) {
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        while (true) {
            int now = masterPort();
            if (now != port) {
                return now;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(this + " still names 127.0.0.1:" + port + " as " + MASTER + " after "
                        + FAILOVER_WAIT + "; see " + process.log());
            }
            LockSupport.parkNanos(RedisProcess.POLL.toNanos());
        }
    }

    /**
     * Waits until the sentinel lists {@code count} replicas of the master it names that are fit to promote:
     * flags just {@code slave} (not down, not disconnected) and their link to the master up.
     */
    public void awaitHealthyReplicas(int count) {
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        String last = null;
        while (true) {
            last = process.command("SENTINEL", "REPLICAS", MASTER);
            if (healthyReplicas(last) >= count) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(this + " did not list " + count + " healthy replicas within "
                        + FAILOVER_WAIT + "; SENTINEL REPLICAS:\n" + last);
            }
            LockSupport.parkNanos(RedisProcess.POLL.toNanos() * 5);
        }
    }

    /** Counts the replicas in a raw {@code SENTINEL REPLICAS} reply whose flags are {@code slave} and link is {@code ok}. */
    private static int healthyReplicas(@Nullable String raw) {
        if (raw == null) {
            return 0;
        }
        int healthy = 0;
        // each replica is an array of name/value pairs, one per line pair in the raw RESP text
        for (String replica : raw.split("\r\n\\*\\d+\r\n\\$4\r\nname\r\n")) {
            if (replica.contains("\r\nflags\r\n$5\r\nslave\r\n") && replica.contains("\r\nmaster-link-status\r\n$2\r\nok\r\n")) {
                healthy++;
            }
        }
        return healthy;
    }

    /** The port in a raw {@code get-master-addr-by-name} reply ({@code *2 $9 127.0.0.1 $n port}). */
    private static int portOf(@Nullable String raw) {
        if (raw == null || !raw.startsWith("*2\r\n")) {
            throw new IllegalStateException("no master address in " + raw);
        }
        String[] lines = raw.split("\r\n");
        return Integer.parseInt(lines[lines.length - 1]);
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
        return process + " monitoring " + MASTER + " (first at " + master + (replicas.isEmpty() ? "" : ", replicas " + replicas) + ")";
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
                    "sentinel down-after-milliseconds " + MASTER + " " + DOWN_AFTER_MS,
                    "sentinel failover-timeout " + MASTER + " " + FAILOVER_TIMEOUT_MS,
                    ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config, e);
        }
        process.launch();
        awaitMaster();
        if (!replicas.isEmpty()) {
            try {
                awaitHealthyReplicas(replicas.size());
            } catch (IllegalStateException e) {
                stop();
                throw e;
            }
        }
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
