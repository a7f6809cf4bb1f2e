package io.pushgate.broker.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pushgate.core.Broker;
import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.Hub;
import io.pushgate.core.Limits;
import io.pushgate.core.MembershipLimitException;
import io.pushgate.core.NodeStats;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.PushNode;
import io.pushgate.core.Roster;
import io.pushgate.core.Session;
import io.pushgate.core.SessionEvents;
import io.pushgate.core.Target;
import io.pushgate.core.Cursor;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.stream.ByteBufferRecord;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Runs this node as one of many that share a Redis.
 *
 * <p><b>Why one log.</b> Every publish, presence change, membership change and kick is appended by
 * one script call to one Redis stream under the next number of one cluster-wide sequence, and every
 * node reads that stream in order ({@code XREAD BLOCK} on a connection of its own). So:
 * <ul>
 * <li>every node applies every publish in the same order, so a cursor handed out by one node is valid on
 * every other: a client may resume, or long-poll, on any node with no gap and no duplicate;</li>
 * <li>every node keeps the same history in memory, read from the log when it starts, so resuming is a
 * local read, not a Redis round trip per client;</li>
 * <li>a node that loses Redis for a moment reads on from where it was: nothing published meanwhile is lost
 * (within the log's length), which pub/sub would not give;</li>
 * <li>subscriptions do not follow sessions at all: a connect costs one log entry, not a SUBSCRIBE, and a
 * publish costs one script call whatever the number of target sessions or nodes.</li>
 * </ul>
 * The price is that every node reads every entry, including publishes for uids it does not hold; a
 * node drops those after one map lookup per target. Per-uid or per-group channels would spare that
 * read but lose the one order that keeps cursors valid across nodes, and would cost a SUBSCRIBE per
 * connect. Appends are batched: whatever queued while a script call was in flight goes in the next call.
 *
 * <p><b>Presence.</b> Each node keeps its sessions in a Redis hash and every node keeps a {@link Roster}
 * of the whole cluster from the log. Nodes renew a lease every {@code heartbeat}; a node whose lease ran
 * out ({@code node-timeout}) is reaped by the next heartbeat of any other node, which removes its
 * sessions everywhere.
 *
 * <p><b>Redis down.</b> Publishes, membership changes and kicks fail with
 * {@link BrokerUnavailableException} (503) while the node cannot reach Redis; connected clients stay
 * connected. When Redis answers again the node restates its sessions and reads on; if Redis lost its
 * data, the nodes restore the epoch and sequence from what they remember, so cursors stay valid.
 */
public final class RedisBroker implements Broker, SessionEvents, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    private static final int BATCH = 512;
    private static final int READ_COUNT = 1000;
    /** How long one read waits for new entries; also how soon the read loop notices it must resync. */
    private static final Duration READ_BLOCK = Duration.ofSeconds(1);
    private static final int RESTATE_CHUNK = 200;

    private final PushNode node;
    private final String self;
    private final Roster roster;
    private final ReactiveStringRedisTemplate redis;
    private final ReactiveRedisConnectionFactory factory;
    private final RedisSettings settings;
    private final PublicationCodec codec;
    private final Clock clock;
    private final Keys keys;

    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** Publishes accepted and not yet answered; bounded by {@code max-pending-publishes}. */
    private final java.util.concurrent.atomic.AtomicInteger pendingPublishes = new java.util.concurrent.atomic.AtomicInteger();
    /** {@link System#nanoTime()} when the script call in flight was sent; 0 when none is. For diagnosis. */
    private volatile long callSentAt;

    /** Whether log entries were missed since presence was last loaded from the session hashes. */
    private volatile boolean presenceStale;
    /** Whether the log is being read and this node's sessions are stated in Redis. */
    private volatile boolean synced;
    /** Whether session changes are sent; false from a failed append until the next restate. */
    private volatile boolean sendingEvents;
    private volatile boolean started;
    private final java.util.concurrent.CountDownLatch startedLatch = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean stopped;
    /** The last log entry applied; the next read starts after it. */
    private volatile long logPos;
    private volatile String epoch;
    private volatile Map<String, String> remoteStats = Map.of();
    private @Nullable ReactiveRedisConnection reader;
    private @Nullable Disposable readLoop;
    private @Nullable Disposable heartbeats;

    record Keys(String prefix, String epoch, String seq, String log, String nodes, String stats, String uidGroups,
                String base) {
        static Keys of(String name) {
            String p = "{" + name + "}:";
            return new Keys(p, p + "epoch", p + "seq", p + "log", p + "nodes", p + "stats", p + "uidgroups",
                    p + "base");
        }

        String sessions(String node) {
            return prefix + "s:" + node;
        }
    }

    /**
     * What the append script did with one Pending's entries: each entry's sequence number, or, for a
     * message whose idempotency key was seen within the window, the first answer stored with the key.
     */
    private record Appended(long[] seqs, @Nullable String[] duplicates) {
    }

    /** Entries appended by one script call, never split: {@code kindsAndValues} alternates kind and value. */
    private record Pending(List<String> kindsAndValues, Sinks.@Nullable One<Appended> done) {

        Pending(String kind, String value, Sinks.@Nullable One<Appended> done) {
            this(List.of(kind, value), done);
        }

        int entries() {
            return kindsAndValues.size() / 2;
        }
    }

    public RedisBroker(PushNode node, ReactiveStringRedisTemplate redis, ReactiveRedisConnectionFactory factory,
                       RedisSettings settings, PublicationCodec codec, Clock clock) {
        this.node = node;
        this.self = node.nodeId();
        this.roster = node.roster();
        this.redis = redis;
        this.factory = factory;
        this.settings = settings;
        this.codec = codec;
        this.clock = clock;
        this.keys = Keys.of(settings.prefix());
        this.epoch = node.history().epoch();
    }

    /** Starts reading the log and beating; returns at once, the node catches up in the background. */
    public void start() {
        node.joinCluster(this);
        // Neither loop may end while the node runs: every error, thrown or signalled, counts as Redis down and
        // is retried. Ticks that come while a heartbeat is still waiting for a slow Redis are dropped, not
        // queued (an interval that cannot emit would end the heartbeats for good).
        readLoop = Mono.defer(this::step)
                .onErrorResume(error -> down(error).then(Mono.delay(Duration.ofMillis(250)).then()))
                .repeat(() -> !stopped).subscribe();
        heartbeats = Flux.interval(settings.heartbeat(), settings.heartbeat())
                .onBackpressureDrop()
                .concatMap(tick -> Mono.defer(() -> synced ? heartbeat() : Mono.<Void>empty()).onErrorResume(this::down), 1)
                .subscribe();
    }

    /**
     * Waits until the node has caught up with the cluster (its history read from the log, the other
     * nodes' sessions known), so that it opens its port ready to resume any client's cursor. Gives up
     * after {@code atMost}: with Redis unreachable the node starts anyway, serves its own sessions and
     * joins when Redis answers.
     *
     * @return whether it caught up in time
     */
    public boolean awaitStarted(Duration atMost) {
        try {
            return startedLatch.await(atMost.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public boolean healthy() {
        return synced;
    }

    // ---- the read loop ---------------------------------------------------------------------------------

    private Mono<Void> step() {
        if (stopped) {
            return Mono.empty();
        }
        Mono<Void> work = !synced ? sync() : presenceStale ? reloadPresence() : readOnce();
        return work.onErrorResume(error -> down(error).then(Mono.delay(Duration.ofMillis(250)).then()));
    }

    /**
     * After a gap: the missed entries may have changed presence and memberships, so they are read again
     * from the session hashes and this node restates its own. Runs in the read loop, between reads, while
     * the node stays in service (publishes go on: they do not depend on what was missed).
     */
    private Mono<Void> reloadPresence() {
        presenceStale = false;
        return loadOthers().then(Mono.fromRunnable(this::restate));
    }

    private Mono<Void> readOnce() {
        StreamReadOptions options = StreamReadOptions.empty().count(READ_COUNT).block(READ_BLOCK);
        StreamOffset<ByteBuffer> offset = StreamOffset.create(bytes(keys.log()), ReadOffset.from(logPos + "-0"));
        return readerConnection().streamCommands().xRead(options, offset)
                .doOnNext(record -> apply(entry(record)))
                .then()
                .timeout(READ_BLOCK.plus(settings.timeout())); // a read stuck on a dead connection counts as Redis down
    }

    private ReactiveRedisConnection readerConnection() {
        ReactiveRedisConnection connection = reader;
        if (connection == null) {
            connection = factory.getReactiveConnection();
            reader = connection;
        }
        return connection;
    }

    /**
     * Catches up with the cluster: takes its epoch and sequence (restoring them if Redis lost them),
     * loads the history from the log on the first run, reloads the other nodes' sessions, and restates
     * this node's. Runs in the read loop, so no log entry is applied while the snapshot is taken.
     */
    private Mono<Void> sync() {
        Mono<Void> first = started ? Mono.empty() : Mono.defer(this::backfill);
        // once started, a new epoch is never the one this node had: its history may not be carried over
        String proposed = started ? freshEpoch() : epoch;
        return redis.execute(Scripts.INIT, List.of(keys.epoch(), keys.seq(), keys.base()),
                        List.of(epoch, Long.toString(logPos), proposed))
                .next()
                .timeout(settings.timeout())
                .flatMap(answer -> {
                    String clusterEpoch = String.valueOf(answer.get(0));
                    long seq = Long.parseLong(String.valueOf(answer.get(1)));
                    long base = Long.parseLong(String.valueOf(answer.get(2)));
                    if (!clusterEpoch.equals(epoch) && started) {
                        log.warn("Redis lost the cluster's data: new history epoch {} (was {}) from sequence number {};"
                                + " node {} resets its sessions and cursors issued before", clusterEpoch, epoch, base, self);
                    }
                    if (!started) {
                        return first.then(Mono.fromRunnable(() -> adopt(clusterEpoch, seq, base)));
                    }
                    adopt(clusterEpoch, seq, base);
                    return Mono.empty();
                })
                .then(Mono.defer(this::loadOthers))
                .then(Mono.fromRunnable(this::restate))
                .then(Mono.defer(this::heartbeat))
                .then(Mono.fromRunnable(() -> {
                    synced = true;
                    if (!started) {
                        started = true;
                        startedLatch.countDown();
                        log.info("Node {} joined the cluster at log position {} ({} sessions known)", self, logPos,
                                roster.sessionCount());
                    } else {
                        log.info("Node {} is back in touch with Redis at log position {}", self, logPos);
                    }
                }));
    }

    /**
     * Takes the cluster's epoch. The log of an epoch starts after its {@code base}: entries at or before it
     * belong to an older epoch (a Redis restored from a snapshot keeps them) and are never applied.
     */
    private void adopt(String clusterEpoch, long seq, long base) {
        if (!started) {
            List<LogEntry> current = backfilled.stream().filter(e -> e.seq() > base).toList();
            // what the log no longer holds is missing here: resuming from before it resets
            boolean empty = current.isEmpty();
            node.adopt(clusterEpoch, 0, empty ? seq : current.get(0).seq() - 1);
            logPos = Math.max(logPos, empty ? seq : current.get(current.size() - 1).seq());
            for (LogEntry entry : current) {
                applyHistory(entry);
            }
            backfilled = List.of();
        } else if (!clusterEpoch.equals(epoch)) {
            // Redis lost data: whatever this node had not read yet is gone, so it vouches for nothing it holds
            node.lostEntries(clusterEpoch, base);
            logPos = base; // the new epoch's entries all come after it, whatever this node had reached before
        }
        epoch = clusterEpoch;
    }

    private List<LogEntry> backfilled = List.of();

    /** Reads the whole log once, at start-up: its messages become this node's history. */
    private Mono<Void> backfill() {
        List<LogEntry> entries = new ArrayList<>();
        return readRange("-", entries).then(Mono.fromRunnable(() -> backfilled = entries));
    }

    private static final String EPOCH_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** A new history epoch, of the same form as the ones a node's history starts with. */
    private static String freshEpoch() {
        StringBuilder id = new StringBuilder(5);
        for (int i = 0; i < 5; i++) {
            id.append(EPOCH_ALPHABET.charAt(RANDOM.nextInt(EPOCH_ALPHABET.length())));
        }
        return id.toString();
    }

    private Mono<Void> readRange(String from, List<LogEntry> into) {
        Range<String> range = from.equals("-") ? Range.unbounded() : Range.rightUnbounded(Range.Bound.exclusive(from));
        return redis.opsForStream().range(keys.log(), range, Limit.limit().count(READ_COUNT))
                .map(RedisBroker::entry)
                .collectList()
                .flatMap(page -> {
                    into.addAll(page);
                    if (page.size() < READ_COUNT) {
                        return Mono.empty();
                    }
                    return readRange(page.get(page.size() - 1).seq() + "-0", into);
                });
    }

    /** Replaces what the roster knows of other nodes with their session hashes, and loads uid memberships. */
    private Mono<Void> loadOthers() {
        return redis.opsForZSet().range(keys.nodes(), Range.unbounded()).collectList()
                .flatMap(nodes -> {
                    for (String known : roster.nodes()) {
                        if (!known.equals(self)) {
                            roster.nodeGone(known);
                        }
                    }
                    return Flux.fromIterable(nodes).filter(n -> !n.equals(self))
                            .concatMap(n -> redis.<String, String>opsForHash().entries(keys.sessions(n))
                                    .doOnNext(e -> connectRemote(n, e.getKey(), e.getValue())))
                            .then(redis.<String, String>opsForHash().entries(keys.uidGroups())
                                    .doOnNext(e -> LogEntry.splitItems(e.getValue())
                                            .forEach(group -> node.hub().joinUid(e.getKey(), group)))
                                    .then())
                            .then(loadBans());
                })
                .timeout(settings.timeout().multipliedBy(5));
    }

    /** Takes the bans still running from the {@code bans} hash, and drops the ones that ended from it. */
    private Mono<Void> loadBans() {
        long now = clock.millis();
        return redis.<String, String>opsForHash().entries(keys.prefix() + "bans")
                .concatMap(e -> {
                    long until = Long.parseLong(e.getValue());
                    if (until > now) {
                        node.ban(e.getKey(), until);
                        return Mono.empty();
                    }
                    return redis.opsForHash().remove(keys.prefix() + "bans", e.getKey()).then();
                })
                .then();
    }

    /**
     * States this node's sessions and uid memberships afresh, in order with the session changes: the
     * snapshot and its entries are queued while the hub can change nothing.
     */
    private void restate() {
        node.hub().snapshot((sessions, memberships) -> {
            queue.add(new Pending(LogEntry.GONE, self, null));
            List<String> records = new ArrayList<>(RESTATE_CHUNK);
            for (Session s : sessions) {
                records.add(s.clientId() + LogEntry.FIELD + state(s.uid(), s.groups()));
                if (records.size() == RESTATE_CHUNK) {
                    queue.add(new Pending(LogEntry.RESTATE, restated(records), null));
                    records.clear();
                }
            }
            if (!records.isEmpty()) {
                queue.add(new Pending(LogEntry.RESTATE, restated(records), null));
            }
            memberships.forEach((uid, groups) -> groups.forEach(group -> queue.add(new Pending(LogEntry.JOIN_UID,
                    LogEntry.fields(self, uid, group, LogEntry.items(groups)), null))));
            sendingEvents = true;
        });
        drain();
    }

    private String restated(List<String> records) {
        return self + LogEntry.FIELD + String.join(String.valueOf(LogEntry.RECORD), records);
    }

    private static String state(String uid, Set<String> groups) {
        return uid + LogEntry.FIELD + LogEntry.items(groups);
    }

    private Mono<Void> heartbeat() {
        return redis.execute(Scripts.HEARTBEAT,
                        List.of(keys.epoch(), keys.nodes(), keys.stats(), keys.seq(), keys.log()),
                        List.of(epoch, self, Long.toString(settings.nodeTimeout().toMillis()), encodeStats(node.stats()),
                                keys.prefix(), Integer.toString(settings.logLength())))
                .next()
                .timeout(settings.timeout())
                .doOnNext(answer -> {
                    if ("epoch".equals(String.valueOf(answer.get(0)))) {
                        log.warn("Redis lost the cluster's data; node {} restates what it knows", self);
                        synced = false;
                        sendingEvents = false;
                        return;
                    }
                    if ("new".equals(String.valueOf(answer.get(0))) && synced) {
                        log.warn("Node {} had been reaped as dead; restating its sessions", self);
                        restate();
                    }
                    Map<String, String> stats = new HashMap<>();
                    for (int i = 1; i + 1 < answer.size(); i += 2) {
                        stats.put(String.valueOf(answer.get(i)), String.valueOf(answer.get(i + 1)));
                    }
                    remoteStats = stats;
                })
                .then();
    }

    /** Once per outage a warning; the retries that follow only at debug level. */
    private Mono<Void> down(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (!stopped && synced) {
            log.warn("Redis is unreachable ({}); node {} serves its own sessions until it is back", cause.toString(), self);
        } else {
            log.debug("Redis is still unreachable: {}", cause.toString());
        }
        synced = false;
        sendingEvents = false;
        return Mono.empty();
    }

    // ---- applying the log ------------------------------------------------------------------------------

    private static LogEntry entry(ByteBufferRecord record) {
        Map<String, String> fields = new HashMap<>(4);
        record.getValue().forEach((k, v) -> fields.put(text(k), text(v)));
        return new LogEntry(seq(record.getId().getValue()), fields.getOrDefault("k", ""), fields.getOrDefault("v", ""));
    }

    private static LogEntry entry(MapRecord<String, Object, Object> record) {
        Map<Object, Object> fields = record.getValue();
        return new LogEntry(seq(record.getId().getValue()), String.valueOf(fields.get("k")), String.valueOf(fields.get("v")));
    }

    private static long seq(String id) {
        int dash = id.indexOf('-');
        return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
    }

    /** At start-up only messages and held-message drops matter; sessions come from the snapshot. */
    private void applyHistory(LogEntry entry) {
        if (entry.kind().equals(LogEntry.MESSAGE)) {
            applyMessage(entry);
        } else if (entry.kind().equals(LogEntry.TOOK_HELD)) {
            apply(entry);
        }
    }

    /**
     * Every sequence number is taken by exactly one log entry (the scripts INCR and XADD together), so the
     * entries a node applies are consecutive. One further on than the next means the entries between were
     * trimmed from the log while this node was not reading (cut off from Redis for longer than the log's
     * length lasts): never a silent gap, the node's sessions are reset and the node restates itself and
     * reloads presence, which the missed entries may have changed too.
     */
    private void apply(LogEntry entry) {
        if (entry.seq() <= logPos && started) {
            return;
        }
        if (started && entry.seq() > logPos + 1) {
            log.warn("Node {} missed log entries {} to {}: they were trimmed from the log while it was cut off;"
                    + " its sessions get a reset", self, logPos + 1, entry.seq() - 1);
            node.lostEntries(epoch, entry.seq() - 1);
            presenceStale = true; // reloaded by the read loop after this read

        }
        try {
            applyUnchecked(entry);
        } catch (RuntimeException e) {
            log.error("Skipping log entry {} of kind {} that this node cannot apply", entry.seq(), entry.kind(), e);
        }
        logPos = Math.max(logPos, entry.seq());
    }

    private void applyUnchecked(LogEntry entry) {
        switch (entry.kind()) {
            case LogEntry.MESSAGE -> applyMessage(entry);
            case LogEntry.CONNECT -> {
                List<String> f = entry.fields(3);
                if (!f.get(0).equals(self)) {
                    connectRemote(f.get(0), f.get(1), f.get(2));
                }
            }
            case LogEntry.DISCONNECT -> {
                List<String> f = entry.fields(2);
                if (!f.get(0).equals(self)) {
                    roster.disconnected(f.get(1));
                }
            }
            case LogEntry.JOIN, LogEntry.LEAVE -> {
                List<String> f = entry.fields(4);
                if (!f.get(0).equals(self)) {
                    if (entry.kind().equals(LogEntry.JOIN)) {
                        roster.joined(f.get(1), f.get(2));
                    } else {
                        roster.left(f.get(1), f.get(2));
                    }
                }
            }
            case LogEntry.GONE -> {
                if (!entry.value().equals(self)) {
                    roster.nodeGone(entry.value());
                }
            }
            case LogEntry.RESTATE -> {
                List<String> f = entry.fields(2);
                if (!f.get(0).equals(self)) {
                    for (String record : LogEntry.split(f.get(1), LogEntry.RECORD)) {
                        int cut = record.indexOf(LogEntry.FIELD);
                        connectRemote(f.get(0), record.substring(0, cut), record.substring(cut + 1));
                    }
                }
            }
            case LogEntry.JOIN_UID, LogEntry.LEAVE_UID -> {
                List<String> f = entry.fields(4);
                if (!f.get(0).equals(self)) {
                    if (entry.kind().equals(LogEntry.JOIN_UID)) {
                        node.hub().joinUid(f.get(1), f.get(2));
                    } else {
                        node.hub().leaveUid(f.get(1), f.get(2));
                    }
                }
            }
            case LogEntry.REFUSED_JOIN_UID -> {
                // refused by the append script: no node applies it (its origin undid it already)
            }
            case LogEntry.KICK_UID -> {
                List<String> f = entry.fields(2);
                if (!f.get(0).equals(self)) {
                    node.kickUid(f.get(1));
                }
            }
            case LogEntry.BAN_UID -> {
                List<String> f = entry.fields(2);
                node.ban(f.get(0), Long.parseLong(f.get(1)));
            }
            case LogEntry.KICK_CLIENT -> {
                List<String> f = entry.fields(2);
                if (f.get(0).equals(self)) {
                    node.kickClient(f.get(1));
                }
            }
            case LogEntry.JOIN_CLIENT, LogEntry.LEAVE_CLIENT -> {
                List<String> f = entry.fields(3);
                Session session = f.get(0).equals(self) ? node.hub().client(f.get(1)) : null;
                if (session != null) {
                    if (entry.kind().equals(LogEntry.JOIN_CLIENT)) {
                        node.hub().join(session, f.get(2));
                    } else {
                        node.hub().leave(session, f.get(2));
                    }
                }
            }
            case LogEntry.TOOK_HELD -> {
                List<String> f = entry.fields(3);
                if (!f.get(0).equals(self)) {
                    node.dropHeld(f.get(1), Long.parseLong(f.get(2)));
                }
            }
            default -> log.warn("Unknown log entry kind {} at {}: is a newer node in the cluster?", entry.kind(), entry.seq());
        }
    }

    private void applyMessage(LogEntry entry) {
        List<String> f = entry.fields(2);
        long ts = Long.parseLong(f.get(0));
        PublicationCodec.Decoded decoded = codec.decode(f.get(1));
        if (node.applySequenced(decoded.publication(), entry.seq(), ts, decoded.holdFor()) != null && started) {
            node.noteBrokerLag(clock.millis() - ts);
        }
    }

    private void connectRemote(String owner, String clientId, String state) {
        int cut = state.indexOf(LogEntry.FIELD);
        String uid = cut < 0 ? state : state.substring(0, cut);
        Set<String> groups = cut < 0 ? Set.of() : new HashSet<>(LogEntry.splitItems(state.substring(cut + 1)));
        roster.connected(clientId, uid, owner, groups);
    }

    // ---- this node's session changes -------------------------------------------------------------------

    @Override
    public void connected(Session session) {
        event(LogEntry.CONNECT, LogEntry.fields(self, session.clientId(), state(session.uid(), session.groups())));
    }

    @Override
    public void disconnected(Session session) {
        event(LogEntry.DISCONNECT, LogEntry.fields(self, session.clientId()));
    }

    @Override
    public void joined(Session session, String group) {
        event(LogEntry.JOIN, LogEntry.fields(self, session.clientId(), group, state(session.uid(), session.groups())));
    }

    @Override
    public void left(Session session, String group) {
        event(LogEntry.LEAVE, LogEntry.fields(self, session.clientId(), group, state(session.uid(), session.groups())));
    }

    @Override
    public void tookHeld(String uid, long upToSeq) {
        event(LogEntry.TOOK_HELD, LogEntry.fields(self, uid, Long.toString(upToSeq)));
    }

    /** Called by the hub under its monitor, so the queue holds changes in the order they happened. */
    private void event(String kind, String value) {
        if (sendingEvents) { // otherwise the next restate carries it
            queue.add(new Pending(kind, value, null));
            drain();
        }
    }

    // ---- publishing and commands -----------------------------------------------------------------------

    /** A batch is appended by one script call: all of it reaches the log, or none of it. */
    @Override
    public Mono<List<PublishResult>> publish(List<Publication> publications) {
        return Mono.defer(() -> {
            requireSynced();
            if (publications.isEmpty()) {
                return Mono.just(List.<PublishResult>of());
            }
            // bounded: refused before anything is queued, so the 503 means the publish is never delivered
            int n = publications.size();
            if (pendingPublishes.addAndGet(n) > settings.maxPendingPublishes()) {
                pendingPublishes.addAndGet(-n);
                throw new BrokerUnavailableException("Redis is slow: " + settings.maxPendingPublishes()
                        + " publishes are already waiting for it on this node", null);
            }
            try {
                return publishCounted(publications, n);
            } catch (RuntimeException e) {
                pendingPublishes.addAndGet(-n);
                throw e;
            }
        });
    }

    private Mono<List<PublishResult>> publishCounted(List<Publication> publications, int n) {
        {
            long ts = clock.millis();
            List<String> entries = new ArrayList<>(publications.size() * 2);
            List<java.util.function.LongFunction<PublishResult>> answers = new ArrayList<>(publications.size());
            for (Publication publication : publications) {
                Target target = publication.target();
                List<String> online = new ArrayList<>();
                List<String> offline = new ArrayList<>();
                for (String uid : target.uids()) {
                    (roster.isOnline(uid) ? online : offline).add(uid);
                }
                int sessions = roster.reach(target);
                List<String> holdFor = publication.ttlSeconds() > 0 && !target.all() ? offline : List.of();
                String message = LogEntry.fields(Long.toString(ts), codec.encode(publication, holdFor));
                String key = publication.idempotencyKey();
                if (key == null) {
                    entries.add(LogEntry.MESSAGE);
                    entries.add(message);
                } else { // the first answer goes with it, for the script to keep under the key
                    entries.add(LogEntry.IDEMPOTENT_MESSAGE);
                    entries.add(LogEntry.fields(key, Long.toString(ts), Integer.toString(sessions),
                            LogEntry.items(online), LogEntry.items(offline), message));
                }
                answers.add(seq -> new PublishResult(new Cursor(epoch, seq, ts).text(), sessions, online, offline));
            }
            node.countPublished(publications.size());
            return appendAll(entries).doFinally(signal -> pendingPublishes.addAndGet(-n)).map(appended -> {
                List<PublishResult> results = new ArrayList<>(answers.size());
                for (int i = 0; i < answers.size(); i++) {
                    String first = appended.duplicates()[i];
                    results.add(first != null ? duplicate(first) : answers.get(i).apply(appended.seqs()[i]));
                }
                return results;
            });
        }
    }

    /**
     * Checked against the membership caps here first (this node holds every uid's memberships, so it
     * refuses what it can see), then by the append script against the {@code uidgroups} hash, which settles
     * races between nodes. A refusal there undoes the join here; nothing was sent to the other nodes.
     */
    @Override
    public Mono<Integer> joinUid(String uid, String group) {
        int limit = node.limits().groupsPerSession();
        return command(() -> {
            node.hub().checkUidMembership(uid, group);
            boolean had = node.hub().groupsOfUid(uid).contains(group);
            return uidMembership(LogEntry.JOIN_UID, uid, group,
                    groups -> groups.contains(group) || groups.size() < limit, () -> node.hub().joinUid(uid, group))
                    .onErrorResume(MembershipLimitException.class, refused -> {
                        if (!had) {
                            node.hub().leaveUid(uid, group);
                        }
                        return Mono.error(refused);
                    });
        });
    }

    @Override
    public Mono<Integer> leaveUid(String uid, String group) {
        return uidMembership(LogEntry.LEAVE_UID, uid, group,
                groups -> groups.contains(group), () -> node.hub().leaveUid(uid, group));
    }

    /**
     * Applies a backend membership change here at once and sends it to the other nodes, with the uid's
     * groups after it for the hash a restarting node reads. @return the uid's sessions it {@code counts}
     */
    private Mono<Integer> uidMembership(String kind, String uid, String group,
                                        java.util.function.Predicate<Set<String>> counts, Runnable applyHere) {
        return command(() -> {
            int sessions = 0;
            for (String clientId : roster.sessionsOf(uid)) {
                Roster.Member m = roster.client(clientId);
                if (m != null && counts.test(m.groups())) {
                    sessions++;
                }
            }
            applyHere.run();
            String all = LogEntry.items(node.hub().groupsOfUid(uid));
            return append(kind, LogEntry.fields(self, uid, group, all)).thenReturn(sessions);
        });
    }

    @Override
    public Mono<Hub.Join> joinClient(String clientId, String group) {
        Session local = node.hub().client(clientId);
        if (local != null) {
            return Mono.fromSupplier(() -> node.hub().join(local, group));
        }
        return command(() -> {
            Roster.Member m = roster.client(clientId);
            if (m == null) {
                return Mono.empty();
            }
            if (m.groups().contains(group)) {
                return Mono.just(Hub.Join.ALREADY_MEMBER);
            }
            if (m.groups().size() >= node.limits().groupsPerSession()) {
                return Mono.just(Hub.Join.TOO_MANY_GROUPS);
            }
            return append(LogEntry.JOIN_CLIENT, LogEntry.fields(m.node(), clientId, group)).thenReturn(Hub.Join.JOINED);
        });
    }

    @Override
    public Mono<Boolean> leaveClient(String clientId, String group) {
        Session local = node.hub().client(clientId);
        if (local != null) {
            return Mono.fromSupplier(() -> node.hub().leave(local, group));
        }
        return command(() -> {
            Roster.Member m = roster.client(clientId);
            if (m == null) {
                return Mono.empty();
            }
            boolean member = m.groups().contains(group);
            return append(LogEntry.LEAVE_CLIENT, LogEntry.fields(m.node(), clientId, group)).thenReturn(member);
        });
    }

    @Override
    public Mono<Integer> kickUid(String uid) {
        return command(() -> {
            int sessions = roster.sessionsOf(uid).size();
            node.kickUid(uid);
            return append(LogEntry.KICK_UID, LogEntry.fields(self, uid)).thenReturn(sessions);
        });
    }

    /** Applied here at once, and by every other node from the log; the {@code bans} hash serves nodes that start later. */
    @Override
    public Mono<Void> banUid(String uid, long untilMillis) {
        return command(() -> {
            node.ban(uid, untilMillis);
            return append(LogEntry.BAN_UID, LogEntry.fields(uid, Long.toString(untilMillis))).then();
        });
    }

    @Override
    public Mono<Boolean> kickClient(String clientId) {
        if (node.kickClient(clientId)) {
            return Mono.just(true);
        }
        return command(() -> {
            Roster.Member m = roster.client(clientId);
            if (m == null) {
                return Mono.just(false);
            }
            return append(LogEntry.KICK_CLIENT, LogEntry.fields(m.node(), clientId)).thenReturn(true);
        });
    }

    @Override
    public Mono<List<NodeStats>> stats() {
        return Mono.fromSupplier(() -> {
            List<NodeStats> all = new ArrayList<>();
            all.add(node.stats());
            remoteStats.forEach((id, encoded) -> { // dead nodes' stats are removed when they are reaped
                NodeStats decoded = id.equals(self) ? null : decodeStats(id, encoded);
                if (decoded != null) {
                    all.add(decoded);
                }
            });
            return all;
        });
    }

    private <T> Mono<T> command(java.util.function.Supplier<Mono<T>> action) {
        return Mono.defer(() -> {
            requireSynced();
            return action.get();
        });
    }

    private void requireSynced() {
        if (!synced) {
            throw new BrokerUnavailableException("Redis cannot be reached", null);
        }
    }

    /** Queues one entry; completes with its sequence number once Redis has it. */
    private Mono<Long> append(String kind, String value) {
        return appendAll(List.of(kind, value)).map(appended -> appended.seqs()[0]);
    }

    /**
     * Queues entries to append together; completes with the first one's sequence number, the others follow
     * it. Never waits forever: each script call gives up after the Redis timeout, so an answer later than
     * twice that means the queue itself is stuck, which is logged with its state and answered as Redis
     * being unavailable instead of leaving the caller's request hanging.
     */
    private Mono<Appended> appendAll(List<String> kindsAndValues) {
        Sinks.One<Appended> done = Sinks.one();
        Pending pending = new Pending(kindsAndValues, done);
        queue.add(pending);
        drain();
        Duration bound = settings.timeout().multipliedBy(2);
        return done.asMono().timeout(bound, Mono.defer(() -> {
            long since = callSentAt;
            log.error("An append to the Redis log had no answer within {} ms: {} entries queued, {}", bound.toMillis(),
                    queue.size(), since == 0 ? "no script call in flight" :
                            "a script call in flight for " + (System.nanoTime() - since) / 1_000_000 + " ms");
            // taken out of the queue, it is never sent: "not done" is then true; otherwise it was sent already
            boolean unsent = queue.remove(pending);
            return Mono.error(new BrokerUnavailableException("Redis did not answer in time", null, !unsent));
        }));
    }

    /** Sends what is queued, one script call at a time, so entries reach the log in queue order. */
    private void drain() {
        if (stopped || !draining.compareAndSet(false, true)) {
            return;
        }
        List<Pending> batch = new ArrayList<>(16);
        int entries = 0;
        Pending next;
        while (entries < BATCH && (next = queue.poll()) != null) { // whole Pendings only: a batch is never split
            batch.add(next);
            entries += next.entries();
        }
        if (batch.isEmpty()) {
            draining.set(false);
            if (!queue.isEmpty()) {
                drain();
            }
            return;
        }
        List<String> args = new ArrayList<>(3 + entries * 2);
        args.add(epoch);
        args.add(Integer.toString(settings.logLength()));
        args.add(keys.prefix());
        args.add(Integer.toString(node.limits().groupsPerUid()));
        args.add(Integer.toString(node.limits().membershipUids()));
        args.add(Long.toString(settings.idempotencyWindow().toMillis()));
        for (Pending p : batch) {
            args.addAll(p.kindsAndValues());
        }
        callSentAt = System.nanoTime();
        try {
            redis.execute(Scripts.APPEND, List.of(keys.epoch(), keys.seq(), keys.log()), args)
                    .next()
                    .switchIfEmpty(Mono.error(() -> new IllegalStateException("the append script answered nothing")))
                    .timeout(settings.timeout())
                    .subscribe(answer -> {
                        try {
                            long seq = Long.parseLong(String.valueOf(answer.get(0))); // numbers follow on, skipping duplicates
                            Map<Integer, String> refused = new HashMap<>();
                            for (int i = 1; i + 1 < answer.size(); i += 2) {
                                refused.put(Integer.parseInt(String.valueOf(answer.get(i))), String.valueOf(answer.get(i + 1)));
                            }
                            int index = 0;
                            for (Pending p : batch) {
                                String why = null;
                                long[] seqs = new long[p.entries()];
                                String[] duplicates = new String[p.entries()];
                                for (int e = 0; e < p.entries(); e++) {
                                    String said = refused.get(index + e);
                                    if (said != null && said.startsWith("d")) {
                                        duplicates[e] = said.substring(1); // took no number
                                        continue;
                                    }
                                    if (why == null) {
                                        why = said;
                                    }
                                    seqs[e] = seq++;
                                }
                                if (p.done() != null) {
                                    if (why == null) {
                                        p.done().tryEmitValue(new Appended(seqs, duplicates));
                                    } else {
                                        p.done().tryEmitError(membershipRefused(why));
                                    }
                                }
                                index += p.entries();
                            }
                        } catch (RuntimeException e) { // the queue must never be left without a drainer
                            log.error("Could not read the append script's answer {}", answer, e);
                            for (Pending p : batch) { // the ones not answered yet: sent, so unknown
                                if (p.done() != null) {
                                    p.done().tryEmitError(new BrokerUnavailableException("Redis answered oddly", e, true));
                                }
                            }
                        }
                        callSentAt = 0;
                        draining.set(false);
                        drain();
                    }, error -> failed(batch, error));
        } catch (RuntimeException e) { // never leave the queue without a drainer
            failed(batch, e);
        }
    }

    /** The first answer the append script kept for an idempotency key: {@code epoch, seq, ts, sessions, online, offline}. */
    private static PublishResult duplicate(String first) {
        List<String> f = LogEntry.split(first, LogEntry.FIELD);
        Cursor id = new Cursor(f.get(0), Long.parseLong(f.get(1)), Long.parseLong(f.get(2)));
        return new PublishResult(id.text(), Integer.parseInt(f.get(3)), LogEntry.splitItems(f.get(4)),
                LogEntry.splitItems(f.get(5)), true);
    }

    private MembershipLimitException membershipRefused(String why) {
        Limits limits = node.limits();
        return why.equals("g")
                ? new MembershipLimitException(MembershipLimitException.Kind.GROUPS_PER_UID,
                        "the uid is already in the maximum of " + limits.groupsPerUid() + " groups")
                : new MembershipLimitException(MembershipLimitException.Kind.MEMBERSHIP_UIDS,
                        "the cluster already holds memberships for the maximum of " + limits.membershipUids() + " uids");
    }

    /**
     * The batch's script call failed: its callers get a 503, this node restates itself when Redis is back.
     * Refused by Redis (an error reply: the scripts refuse before they write) or never sent (no connection),
     * it was not done; any other failure, a timeout above all, leaves the outcome unknown, and the 503 says so.
     */
    private void failed(List<Pending> batch, Throwable error) {
        BrokerUnavailableException failure = new BrokerUnavailableException("Redis cannot be reached", error,
                !surelyNotDone(error));
        for (Pending p : batch) {
            if (p.done() != null) {
                p.done().tryEmitError(failure);
            }
        }
        down(error).subscribe();
        callSentAt = 0;
        draining.set(false);
        drain();
    }

    private static boolean surelyNotDone(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof io.lettuce.core.RedisCommandExecutionException
                    || t instanceof io.lettuce.core.RedisConnectionException
                    || t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    // ---- stats -----------------------------------------------------------------------------------------

    private static String encodeStats(NodeStats s) {
        StringBuilder transports = new StringBuilder();
        s.sessionsByTransport().forEach((t, n) -> transports.append(transports.isEmpty() ? "" : ",").append(t).append('=').append(n));
        return LogEntry.fields(Integer.toString(s.sessions()), transports.toString(), Integer.toString(s.uids()),
                Integer.toString(s.groups()), Long.toString(s.messagesIn()), Long.toString(s.messagesOut()),
                Double.toString(s.messagesInPerSecond()), Double.toString(s.messagesOutPerSecond()),
                Long.toString(s.dropped()), Long.toString(s.brokerLagMillis()), Long.toString(s.gapResets()));
    }

    private static @Nullable NodeStats decodeStats(String id, String encoded) {
        List<String> f = LogEntry.split(encoded, LogEntry.FIELD);
        if (f.size() < 10) {
            return null;
        }
        Map<String, Integer> byTransport = new HashMap<>();
        for (String pair : LogEntry.split(f.get(1), ',')) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                byTransport.put(pair.substring(0, eq), Integer.parseInt(pair.substring(eq + 1)));
            }
        }
        return new NodeStats(id, Integer.parseInt(f.get(0)), byTransport, Integer.parseInt(f.get(2)),
                Integer.parseInt(f.get(3)), Long.parseLong(f.get(4)), Long.parseLong(f.get(5)),
                Double.parseDouble(f.get(6)), Double.parseDouble(f.get(7)), Long.parseLong(f.get(8)),
                Long.parseLong(f.get(9)), f.size() > 10 ? Long.parseLong(f.get(10)) : 0); // none from older nodes
    }

    // ---- stopping --------------------------------------------------------------------------------------

    /** Leaves the cluster: tells the other nodes this node's sessions are gone and stops reading. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        if (synced) {
            try {
                append(LogEntry.GONE, self)
                        .then(redis.execute(Scripts.LEAVE, List.of(keys.nodes(), keys.stats()), List.of(self, keys.prefix())).then())
                        .block(settings.timeout());
            } catch (RuntimeException e) {
                log.warn("Node {} could not say goodbye to Redis ({}); peers reap it within {}", self, e.toString(),
                        settings.nodeTimeout().plus(settings.heartbeat()));
            }
        }
        crash();
    }

    /**
     * Stops all Redis traffic at once without a word to the other nodes, as a killed process would:
     * they reap this node when its lease runs out. Tests use it to prove that bound.
     */
    public void crash() {
        stopped = true;
        synced = false;
        sendingEvents = false;
        if (heartbeats != null) {
            heartbeats.dispose();
        }
        if (readLoop != null) {
            readLoop.dispose();
        }
        ReactiveRedisConnection connection = reader;
        if (connection != null) {
            connection.closeLater().subscribe(null, e -> { });
        }
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer buffer) {
        return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
    }
}
