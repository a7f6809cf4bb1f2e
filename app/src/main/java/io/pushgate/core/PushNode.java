package io.pushgate.core;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * The facade of one pushgate node: opens sessions, publishes, answers presence, changes membership
 * and kicks. Transports and the API talk to the core only through this class.
 *
 * <p>Delivery guarantee on one node: a publish is encoded once per stream it travels through (one per
 * uid, group, client or {@code all}), and the same frame is queued to every matching session, each
 * session at most once per publish. Sessions receive messages in publish order per stream. A session
 * whose queue is full is closed (4408); no publisher waits for it.
 */
public final class PushNode implements AutoCloseable {

    private final String nodeId;
    private final Hub hub;
    private final Limits limits;
    private final MessageEncoder encoder;
    private final Clock clock;
    private final AtomicLong clientSeq = new AtomicLong();
    private final AtomicLong publishSeq = new AtomicLong();
    private final Meter messagesIn = new Meter();
    private final Meter messagesOut = new Meter();
    private final Meter dropped = new Meter();
    private final Object drained = new Object();
    private final Disposable sampler;
    private volatile boolean accepting = true;

    public PushNode(String nodeId, Limits limits, MessageEncoder encoder, Clock clock) {
        this.nodeId = Names.require("node id", nodeId);
        this.limits = limits;
        this.hub = new Hub(limits);
        this.encoder = encoder;
        this.clock = clock;
        this.sampler = Flux.interval(Duration.ofSeconds(1)).subscribe(t -> {
            long now = System.nanoTime();
            messagesIn.tick(now);
            messagesOut.tick(now);
        });
    }

    public String nodeId() {
        return nodeId;
    }

    public Limits limits() {
        return limits;
    }

    public Hub hub() {
        return hub;
    }

    /**
     * Creates a session for a verified client and registers it; {@code welcome} makes the frame that is
     * queued first, before any message can reach the session.
     *
     * @return the registered session, or {@code null} when the uid is at its session limit or the node
     * is shutting down; the caller then closes the connection with {@link #refusal()}'s code
     */
    public @Nullable Session connect(ClientClaims claims, Transport transport,
                                     java.util.function.Function<Session, Frame> welcome) {
        if (!accepting) {
            return null;
        }
        String clientId = nodeId + "-" + Long.toString(clientSeq.incrementAndGet(), 36);
        Session session = new Session(clientId, claims, transport, limits.queueCapacity(), () -> dropped.mark(1));
        if (!hub.register(session, s -> s.send(welcome.apply(s)))) {
            return null;
        }
        if (!accepting) { // raced with shutdown: don't leave it behind
            hub.unregister(session);
            return null;
        }
        return session;
    }

    /** Why {@link #connect} refused: shutting down, or too many sessions for the uid. */
    public Disconnect refusal() {
        return accepting ? Disconnect.TOO_MANY_SESSIONS : Disconnect.SHUTDOWN;
    }

    /** Called by the transport once its connection is gone. */
    public void disconnected(Session session) {
        hub.unregister(session);
        if (hub.sessionCount() == 0) {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }

    /** Publishes to the target's sessions on this node. Never blocks. */
    public PublishResult publish(Publication publication) {
        Target target = publication.target();
        String id = nodeId + "-" + Long.toString(publishSeq.incrementAndGet(), 36);
        long ts = clock.millis();
        Set<String> excluded = target.excludeClients();
        messagesIn.mark(1);

        List<String> online = new ArrayList<>();
        List<String> offline = new ArrayList<>();
        int reached;
        if (target.all()) {
            reached = deliver(hub.allView(), message(publication, id, Address.ALL, ts), excluded, null);
            for (String uid : target.uids()) {
                (hub.uidView(uid).isEmpty() ? offline : online).add(uid);
            }
        } else {
            Set<Session> seen = new HashSet<>();
            reached = 0;
            for (String group : target.groups()) {
                reached += deliver(hub.groupView(group), message(publication, id, Address.group(group), ts), excluded, seen);
            }
            for (String uid : target.uids()) {
                Set<Session> sessions = hub.uidView(uid);
                if (sessions.isEmpty()) {
                    offline.add(uid);
                    continue;
                }
                online.add(uid);
                reached += deliver(sessions, message(publication, id, Address.uid(uid), ts), excluded, seen);
            }
            for (String clientId : target.clients()) {
                Session session = hub.client(clientId);
                if (session != null) {
                    reached += deliver(List.of(session), message(publication, id, Address.client(clientId), ts), excluded, seen);
                }
            }
        }
        messagesOut.mark(reached);
        return new PublishResult(id, reached, online, offline);
    }

    private LazyFrame message(Publication publication, String id, Address to, long ts) {
        return new LazyFrame(() -> encoder.encode(new Message(id, publication.event(), publication.dataJson(), to, ts)));
    }

    /** Encodes only when a session actually needs the frame, then shares it. */
    private static final class LazyFrame {
        private final java.util.function.Supplier<Frame> encode;
        private @Nullable Frame frame;

        LazyFrame(java.util.function.Supplier<Frame> encode) {
            this.encode = encode;
        }

        Frame get() {
            Frame f = frame;
            if (f == null) {
                f = encode.get();
                frame = f;
            }
            return f;
        }
    }

    private static int deliver(Collection<Session> sessions, LazyFrame frame, Set<String> excluded,
                               @Nullable Set<Session> seen) {
        int reached = 0;
        for (Session session : sessions) {
            if (!excluded.isEmpty() && excluded.contains(session.clientId())) {
                continue;
            }
            if (seen != null && !seen.add(session)) {
                continue;
            }
            if (session.send(frame.get())) {
                reached++;
            }
        }
        return reached;
    }

    /** Closes every session of the uid. @return how many were closed */
    public int kickUid(String uid) {
        Collection<Session> sessions = hub.sessionsOf(uid);
        sessions.forEach(s -> s.close(Disconnect.KICKED));
        return sessions.size();
    }

    /** @return whether the client was connected here */
    public boolean kickClient(String clientId) {
        Session session = hub.client(clientId);
        if (session == null) {
            return false;
        }
        session.close(Disconnect.KICKED);
        return true;
    }

    public NodeStats stats() {
        Map<String, Integer> byTransport = new HashMap<>();
        for (Session session : hub.allView()) {
            byTransport.merge(session.transportName(), 1, Integer::sum);
        }
        return new NodeStats(nodeId, hub.sessionCount(), byTransport, hub.uidCount(), hub.groupCount(),
                messagesIn.total(), messagesOut.total(), messagesIn.perSecond(), messagesOut.perSecond(),
                dropped.total());
    }

    public boolean isAccepting() {
        return accepting;
    }

    /** Accepts sessions again after {@link #drain}: the application was stopped and started again. */
    public void resume() {
        accepting = true;
    }

    /**
     * Graceful stop: refuse new sessions, let every session write what is queued and close with 1001,
     * then wait until all are gone or the grace period ends.
     *
     * @return whether every session closed within the grace period
     */
    public boolean drain(Duration grace) {
        accepting = false;
        for (Session session : hub.allSessions()) {
            session.closeAfterFlush(Disconnect.SHUTDOWN);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (drained) {
            while (hub.sessionCount() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    drained.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        boolean clean = hub.sessionCount() == 0;
        for (Session session : hub.allSessions()) { // stuck peers: cut them
            session.close(Disconnect.SHUTDOWN);
        }
        return clean;
    }

    @Override
    public void close() {
        sampler.dispose();
    }
}
