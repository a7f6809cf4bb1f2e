package io.pushgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

/**
 * A real Redis Cluster (no Docker): three {@code redis-server --cluster-enabled yes} masters on free
 * loopback ports, no replicas, the 16384 slots split between them by {@code redis-cli --cluster create}.
 * Clients configured with {@code spring.data.redis.cluster.nodes=}{@link #nodes()} reach it.
 *
 * <p>{@link #start()} returns only once every node reports {@code cluster_state:ok}; {@link #close()} only
 * once every process has exited. Node {@code p} keeps its cluster state in {@code target/nodes-<p>.conf}
 * (deleted before it starts and after it stops) and its output in {@code target/redis-cluster-<p>.log};
 * {@code redis-cli}'s in {@code target/redis-cluster-create-<p1>.log}.
 * Persistence is off. Not thread-safe: one test thread starts and stops it.
 */
public final class RedisClusterServers implements AutoCloseable {

    private static final int SIZE = 3;
    /** A cluster node also listens on its port + 10000, the cluster bus. */
    private static final int BUS_OFFSET = 10000;
    /** Ports a load benchmark on this machine may use (its nodes on 18080+, its Redis on 16379): never ours. */
    private static final int AVOID_FROM = 16000;
    private static final int AVOID_TO = 20000;
    private static final Duration CREATE_WAIT = Duration.ofSeconds(30);
    private static final Duration OK_WAIT = Duration.ofSeconds(15);

    private final List<RedisProcess> servers = new ArrayList<>();

    private RedisClusterServers() {
    }

    /**
     * Starts three cluster-enabled servers, joins them into one cluster and waits until it is up.
     *
     * @throws IllegalStateException when {@code redis-server} or {@code redis-cli} are missing, or the
     *                               cluster does not come up
     */
    public static RedisClusterServers start() {
        RedisClusterServers cluster = new RedisClusterServers();
        try {
            for (int i = 0; i < SIZE; i++) {
                cluster.servers.add(startNode());
            }
            cluster.create();
            cluster.awaitOk();
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The value for {@code spring.data.redis.cluster.nodes}: {@code 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3}. */
    public String nodes() {
        return addresses().stream().collect(Collectors.joining(","));
    }

    public List<Integer> ports() {
        return servers.stream().map(RedisProcess::port).toList();
    }

    /** Sends one command to the node on {@code port}; see {@link RedisServer#command(String...)} for the reply. */
    public @Nullable String command(int port, String... args) {
        return RedisProcess.command("redis-cluster-node", port, args);
    }

    /** Stops every node and deletes their cluster state files. Idempotent. */
    public void stop() {
        RuntimeException failure = null;
        for (RedisProcess server : servers) {
            try {
                server.stop();
            } catch (RuntimeException e) {
                failure = e;
            }
            deleteState(server.port());
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "Redis Cluster " + nodes();
    }

    private List<String> addresses() {
        return servers.stream().map(s -> "127.0.0.1:" + s.port()).toList();
    }

    private static RedisProcess startNode() {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < RedisProcess.PORT_ATTEMPTS; attempt++) {
            int port = freeNodePort();
            deleteState(port);
            RedisProcess server = new RedisProcess("redis-cluster-node", port,
                    Path.of("target", "redis-cluster-" + port + ".log"), List.of(
                    "redis-server",
                    "--port", String.valueOf(port),
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", state(port).toString(),
                    "--cluster-node-timeout", "2000",
                    "--save", "",
                    "--appendonly", "no",
                    "--bind", "127.0.0.1",
                    "--protected-mode", "no",
                    "--daemonize", "no"));
            try {
                server.launch();
                return server;
            } catch (RedisProcess.PortTaken e) {
                failure = e; // the port or its bus port was bound meanwhile: pick another
            }
        }
        throw failure;
    }

    /** A free port whose bus port (+10000) is free too, away from the benchmark's ports. */
    private static int freeNodePort() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = attempt % 2 == 0 ? RedisProcess.freePort() : ThreadLocalRandom.current().nextInt(20000, 55000);
            int bus = port + BUS_OFFSET;
            if (bus <= 65535 && !avoided(port) && !avoided(bus) && RedisProcess.isFree(port) && RedisProcess.isFree(bus)) {
                return port;
            }
        }
        throw new IllegalStateException("no free pair of ports p and p+" + BUS_OFFSET + " on 127.0.0.1");
    }

    private static boolean avoided(int port) {
        return port >= AVOID_FROM && port < AVOID_TO;
    }

    private static Path state(int port) {
        return Path.of("target", "nodes-" + port + ".conf").toAbsolutePath();
    }

    private static void deleteState(int port) {
        try {
            Files.deleteIfExists(state(port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code redis-cli --cluster create …}: assigns the slots and makes the nodes meet. */
    private void create() {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        command.addAll(addresses());
        command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Path log = Path.of("target", "redis-cluster-create-" + servers.get(0).port() + ".log");
        Process cli;
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            cli = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            cli.getOutputStream().close();
        } catch (IOException e) {
            throw new IllegalStateException("redis-cli is not installed: apt-get install -y redis-tools", e);
        }
        try {
            if (!cli.waitFor(CREATE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                cli.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + CREATE_WAIT
                        + "; see " + log);
            }
            if (cli.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed with " + cli.exitValue() + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cli.destroyForcibly();
            throw new IllegalStateException("interrupted while creating " + this, e);
        }
    }

    /** Polls {@code CLUSTER INFO} on every node until all say {@code cluster_state:ok}. */
    private void awaitOk() {
        long deadline = System.nanoTime() + OK_WAIT.toNanos();
        for (RedisProcess server : servers) {
            String info = null;
            while (true) {
                try {
                    info = server.command("CLUSTER", "INFO");
                    if (info != null && info.contains("cluster_state:ok")) {
                        break;
                    }
                } catch (IllegalStateException e) {
                    info = e.getMessage();
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(server + " did not report cluster_state:ok within " + OK_WAIT
                            + "; CLUSTER INFO:\n" + info);
                }
                LockSupport.parkNanos(RedisProcess.POLL.toNanos());
            }
        }
    }
}
