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
 * loopback ports, the 16384 slots split between them by {@code redis-cli --cluster create}, with no
 * replicas ({@link #start()}) or one replica each ({@link #startWithReplicas()}). Clients configured with
 * {@code spring.data.redis.cluster.nodes=}{@link #nodes()} reach it.
 *
 * <p>With replicas it can fail over the master that serves a key, as an operator would
 * ({@link #failover(String)}, {@code CLUSTER FAILOVER} on its replica) or by the master's death
 * ({@link #kill(int)}, then {@link #awaitPromotion(String, int)}): every node runs with
 * {@code cluster-node-timeout} {@value #NODE_TIMEOUT_MS} ms, so a dead master's replica takes over within
 * seconds. Who serves a slot is read from each node's own line in {@code CLUSTER NODES} (its
 * {@code myself} line), the one view that is authoritative for that node.
 *
 * <p>{@link #start()} returns only once every node reports {@code cluster_state:ok} (and, with replicas,
 * every replica's link to its master is up); {@link #close()} only once every process has exited. Node
 * {@code p} keeps its cluster state in {@code target/nodes-<p>.conf} and a replica's snapshot in
 * {@code target/redis-cluster-<p>.d} (both deleted before it starts and after it stops) and its output in {@code target/redis-cluster-<p>.log};
 * {@code redis-cli}'s in {@code target/redis-cluster-create-<p1>.log}.
 * Persistence is off. Not thread-safe: one test thread starts and stops it.
 */
public final class RedisClusterServers implements AutoCloseable {

    private static final int MASTERS = 3;
    /** How long a node may not answer before the others deem it failed; a dead master's replica takes over after it. */
    public static final int NODE_TIMEOUT_MS = 2000;
    /** A failover, from its start or from a master's death, until the promoted replica serves and the cluster is ok. */
    public static final Duration FAILOVER_WAIT = Duration.ofSeconds(30);
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
        return start(0);
    }

    /**
     * Starts six cluster-enabled servers and joins them into three masters with one replica each
     * ({@code --cluster-replicas 1}); returns once the cluster is up and every replica is linked to its master.
     *
     * @throws IllegalStateException when {@code redis-server} or {@code redis-cli} are missing, or the
     *                               cluster does not come up
     */
    public static RedisClusterServers startWithReplicas() {
        return start(1);
    }

    private static RedisClusterServers start(int replicasPerMaster) {
        RedisClusterServers cluster = new RedisClusterServers();
        try {
            for (int i = 0; i < MASTERS * (1 + replicasPerMaster); i++) {
                cluster.servers.add(startNode());
            }
            cluster.create(replicasPerMaster);
            cluster.awaitOk();
            if (replicasPerMaster > 0) {
                cluster.awaitReplicasInSync();
            }
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

    /** Whether the node on {@code port} runs (not killed, or restarted since). */
    public boolean isRunning(int port) {
        return server(port).isRunning();
    }

    /** The hash slot of {@code key} ({@code CLUSTER KEYSLOT}). */
    public int keySlot(String key) {
        return Integer.parseInt(command(running().get(0).port(), "CLUSTER", "KEYSLOT", key));
    }

    /**
     * The port of the running node that serves {@code key}'s slot as a master by its own account.
     *
     * @throws IllegalStateException when no running node, or more than one, claims it (mid-failover)
     */
    public int masterOf(String key) {
        int slot = keySlot(key);
        List<Integer> claim = new ArrayList<>();
        for (RedisProcess server : running()) {
            Self self = self(server.port());
            if (self.master() && self.serves(slot)) {
                claim.add(server.port());
            }
        }
        if (claim.size() != 1) {
            throw new IllegalStateException("slot " + slot + " of " + key + " is served by " + claim + ", not one master");
        }
        return claim.get(0);
    }

    /** The port of a running replica of the master on {@code masterPort}, by the replica's own account. */
    public int replicaOf(int masterPort) {
        String masterId = self(masterPort).id();
        for (RedisProcess server : running()) {
            Self self = self(server.port());
            if (!self.master() && masterId.equals(self.masterId())) {
                return server.port();
            }
        }
        throw new IllegalStateException("no running replica of the master on 127.0.0.1:" + masterPort);
    }

    /** {@code ROLE}'s first word for the node on {@code port}: {@code master} or {@code slave}. */
    public String role(int port) {
        String raw = command(port, "ROLE");
        return raw == null ? "" : raw.split("\r\n")[2];
    }

    /**
     * An operator's failover of the master that serves {@code key}: {@code CLUSTER FAILOVER} on its
     * replica, which first catches up with the master (the master pauses its writers meanwhile), so no
     * write is lost; the old master becomes its replica. Returns once the replica serves the slot, the old
     * master calls itself a replica, and every running node reports {@code cluster_state:ok}. Asks again
     * when a failover did not start or timed out (Redis gives up after twice the node timeout).
     *
     * @return the promoted replica's port
     */
    public int failover(String key) {
        int old = masterOf(key);
        int replica = replicaOf(old);
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        while (true) {
            try {
                command(replica, "CLUSTER", "FAILOVER");
            } catch (IllegalStateException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(this + " refused CLUSTER FAILOVER on 127.0.0.1:" + replica + ": "
                            + e.getMessage(), e);
                }
            }
            long attempt = Math.min(deadline, System.nanoTime() + Duration.ofMillis(NODE_TIMEOUT_MS * 3L).toNanos());
            while (System.nanoTime() - attempt < 0) {
                if (servesAlone(key, replica) && "slave".equals(role(old)) && allOk()) {
                    return replica;
                }
                LockSupport.parkNanos(RedisProcess.POLL.toNanos());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("127.0.0.1:" + replica + " did not take over " + key + " from 127.0.0.1:"
                        + old + " within " + FAILOVER_WAIT + "; see its log target/redis-cluster-" + replica + ".log");
            }
        }
    }

    /**
     * Kills the node on {@code port} as a crash would ({@code SIGKILL}: no shutdown, its connections
     * reset), and waits for the process to exit. Its state file stays until {@link #stop()}.
     */
    public void kill(int port) {
        server(port).kill();
    }

    /**
     * Starts the node on {@code port} again after {@link #kill(int)}, from its cluster state file: a master
     * whose slots a replica took over meanwhile rejoins as that replica's replica (the promotion's higher
     * config epoch wins). Returns once it answers {@code PING} and every running node reports
     * {@code cluster_state:ok}; {@link #awaitReplicasInSync()} waits for its copy.
     */
    public void restart(int port) {
        server(port).launch();
        awaitOk();
    }

    /**
     * Cuts the replica on {@code port} off from its master and keeps it off: it is given a wrong
     * {@code masterauth} (its master has no password, so every {@code AUTH} it tries fails) and its link is
     * dropped ({@code CLIENT KILL TYPE master}). Returns once the replica reports its link down. The master
     * keeps taking writes, which the replica never gets: promoted now, it is behind what clients were told
     * was written, as a replica that lagged when its master died is.
     */
    public void cutOffReplica(int port) {
        command(port, "CONFIG", "SET", "masterauth", "not-the-masters-password");
        command(port, "CLIENT", "KILL", "TYPE", "master");
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        while (true) {
            String info = command(port, "INFO", "replication");
            if (info != null && info.contains("role:slave") && info.contains("master_link_status:down")) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the replica on 127.0.0.1:" + port + " still reports its link up: " + info);
            }
            LockSupport.parkNanos(RedisProcess.POLL.toNanos());
        }
    }

    /**
     * Waits until a running node other than {@code dead} serves {@code key}'s slot as master (its replica,
     * promoted once the others deemed {@code dead} failed) and every running node reports
     * {@code cluster_state:ok}.
     *
     * @return the promoted node's port
     */
    public int awaitPromotion(String key, int dead) {
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        while (true) {
            try {
                int now = masterOf(key);
                if (now != dead && allOk()) {
                    return now;
                }
            } catch (IllegalStateException e) {
                // no master for the slot yet, or two claims while the views converge
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("no replica took over " + key + " from 127.0.0.1:" + dead + " within "
                        + FAILOVER_WAIT + "; see target/redis-cluster-<port>.log");
            }
            LockSupport.parkNanos(RedisProcess.POLL.toNanos());
        }
    }

    /**
     * Waits until every running replica's link to its master is up and it has the master's whole
     * replication stream (equal offsets), so a failover can pick it and loses no write.
     */
    public void awaitReplicasInSync() {
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        String last = null;
        while (true) {
            last = unsynced();
            if (last == null) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("replicas not in sync within " + FAILOVER_WAIT + ": " + last);
            }
            LockSupport.parkNanos(RedisProcess.POLL.toNanos());
        }
    }

    /** What keeps a running replica from being in sync with its master, or null when all are. */
    private @Nullable String unsynced() {
        for (RedisProcess server : running()) {
            String info = server.command("INFO", "replication");
            if (info == null || !info.contains("role:slave")) {
                continue;
            }
            if (!info.contains("master_link_status:up")) {
                return server + ": " + info;
            }
            int masterPort = Integer.parseInt(field(info, "master_port"));
            String masterInfo = command(masterPort, "INFO", "replication");
            String offset = field(info, "slave_repl_offset");
            if (masterInfo == null || !offset.equals(field(masterInfo, "master_repl_offset"))) {
                return server + " at offset " + offset + ", its master " + masterInfo;
            }
        }
        return null;
    }

    private static String field(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "";
    }

    /** Whether the node on {@code port} alone, of the running ones, serves {@code key}'s slot as master. */
    private boolean servesAlone(String key, int port) {
        try {
            return masterOf(key) == port;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private boolean allOk() {
        for (RedisProcess server : running()) {
            String info = server.command("CLUSTER", "INFO");
            if (info == null || !info.contains("cluster_state:ok")) {
                return false;
            }
        }
        return true;
    }

    /** A node's own line of {@code CLUSTER NODES}: its id, whether it is a master, its master's id, its slots. */
    private record Self(String id, boolean master, String masterId, List<int[]> slots) {

        boolean serves(int slot) {
            for (int[] range : slots) {
                if (slot >= range[0] && slot <= range[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    private Self self(int port) {
        String nodes = command(port, "CLUSTER", "NODES");
        for (String line : nodes == null ? new String[0] : nodes.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8 || !List.of(f[2].split(",")).contains("myself")) {
                continue;
            }
            List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot being migrated or imported
                }
                int dash = f[i].indexOf('-');
                slots.add(dash < 0 ? new int[]{Integer.parseInt(f[i]), Integer.parseInt(f[i])}
                        : new int[]{Integer.parseInt(f[i].substring(0, dash)), Integer.parseInt(f[i].substring(dash + 1))});
            }
            return new Self(f[0], List.of(f[2].split(",")).contains("master"), f[3], slots);
        }
        throw new IllegalStateException("no myself line in CLUSTER NODES of 127.0.0.1:" + port + ":\n" + nodes);
    }

    private RedisProcess server(int port) {
        for (RedisProcess server : servers) {
            if (server.port() == port) {
                return server;
            }
        }
        throw new IllegalArgumentException("no node of " + this + " on port " + port);
    }

    private List<RedisProcess> running() {
        return servers.stream().filter(RedisProcess::isRunning).toList();
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
                    // a replica writes its master's snapshot to its dir on sync, and a node loads a dump.rdb
                    // found there at start (then refuses to join a new cluster: "not empty"): one dir per node
                    "--dir", dir(port).toString(),
                    "--cluster-node-timeout", String.valueOf(NODE_TIMEOUT_MS),
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

    /** The node's working directory, where a replica keeps the snapshot it synced. */
    private static Path dir(int port) {
        return Path.of("target", "redis-cluster-" + port + ".d").toAbsolutePath();
    }

    /** Deletes the node's cluster state and snapshot, and makes sure its working directory exists. */
    private static void deleteState(int port) {
        try {
            Files.deleteIfExists(state(port));
            Files.createDirectories(dir(port));
            Files.deleteIfExists(dir(port).resolve("dump.rdb"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code redis-cli --cluster create …}: assigns the slots, makes the nodes meet and pairs the replicas. */
    private void create(int replicasPerMaster) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        command.addAll(addresses());
        command.addAll(List.of("--cluster-replicas", String.valueOf(replicasPerMaster), "--cluster-yes"));
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

    /** Polls {@code CLUSTER INFO} on every running node until all say {@code cluster_state:ok}. */
    private void awaitOk() {
        long deadline = System.nanoTime() + OK_WAIT.toNanos();
        for (RedisProcess server : running()) {
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
