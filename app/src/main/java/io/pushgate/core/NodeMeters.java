package io.pushgate.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;

/**
 * The node's operational counters, in plain JDK types: a metrics adapter reads them when it is scraped,
 * so the node pays for a count, never for a metrics library, and nothing here allocates per delivery.
 *
 * <p>Every label set is bounded: transports are the few the server has (at most {@link #MAX_TRANSPORTS},
 * the rest counted as {@code other}), close codes are {@link Disconnect}'s closed set (at most
 * {@link #MAX_CODES} per transport, the rest as code {@code -1}), reasons and sources are enums.
 *
 * <p>Thread-safety: every method may be called from any thread.
 */
public final class NodeMeters {

    public static final int MAX_TRANSPORTS = 8;
    static final int MAX_CODES = 32;
    /**
     * The close code recorded for a session that ended with none known. Transports close a session the
     * client ended, or whose connection was lost, with 1000.
     */
    public static final int NO_CODE = 0;
    static final int OTHER_CODE = -1;

    /** Where an accepted publish came from. */
    public enum Source {
        /** The HTTP API: every accepted publish that did not come through one of the others. */
        API,
        /** A client's {@code publish} frame or request. */
        CLIENT,
        /** A compatibility adapter (web-msg-sender, Workerman's text port). */
        COMPAT;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Listens for label sets seen for the first time, so that a meter can be registered for each. */
    public interface NewLabels {
        void transport(String transport);

        void disconnect(String transport, int code);
    }

    private final String[] transports = new String[MAX_TRANSPORTS];
    private int transportCount; // guarded by this; transports[i] is published by the volatile write below
    private volatile int published;
    private final LongAdder[] connects = adders(MAX_TRANSPORTS);
    private final LongAdder[] disconnectsTotal = adders(MAX_TRANSPORTS);
    private final LongAdder[] deliveries = adders(MAX_TRANSPORTS);
    @SuppressWarnings("unchecked")
    private final Map<Integer, LongAdder>[] disconnects = new Map[MAX_TRANSPORTS];
    private final LongAdder[] authFailures = adders(InvalidTokenException.Reason.values().length);
    private final LongAdder[] bySource = adders(Source.values().length);
    private @Nullable NewLabels listener; // guarded by this
    private volatile @Nullable LongConsumer fanoutLatency;

    public NodeMeters() {
        for (int i = 0; i < MAX_TRANSPORTS; i++) {
            disconnects[i] = new ConcurrentHashMap<>();
        }
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    /**
     * The slot of a transport, found once per session (a scan of a few names), so that counting on the
     * fan-out path is an array index.
     */
    int slot(String transport) {
        int n = published;
        for (int i = 0; i < n; i++) {
            if (transports[i].equals(transport)) {
                return i;
            }
        }
        NewLabels told;
        String name;
        int slot;
        synchronized (this) {
            for (int i = 0; i < transportCount; i++) {
                if (transports[i].equals(transport)) {
                    return i;
                }
            }
            if (transportCount >= MAX_TRANSPORTS - 1 && !transport.equals("other")) {
                transport = "other"; // the last slot takes every transport past the bound
                for (int i = 0; i < transportCount; i++) {
                    if (transports[i].equals(transport)) {
                        return i;
                    }
                }
            }
            slot = transportCount++;
            transports[slot] = transport;
            published = transportCount;
            told = listener;
            name = transport;
        }
        if (told != null) {
            told.transport(name);
        }
        return slot;
    }

    /**
     * Tells {@code listener} of every transport and close code seen so far, then of each new one as it
     * comes, from the thread that saw it (a transport's, holding none of the node's locks). One listener;
     * a later one replaces it.
     */
    public void listen(NewLabels listener) {
        List<String> known;
        List<Map.Entry<String, Integer>> codes = new ArrayList<>();
        synchronized (this) {
            this.listener = listener;
            known = List.of(Arrays.copyOf(transports, transportCount));
            for (int i = 0; i < transportCount; i++) {
                for (Integer code : disconnects[i].keySet()) {
                    codes.add(Map.entry(transports[i], code));
                }
            }
        }
        known.forEach(listener::transport);
        codes.forEach(e -> listener.disconnect(e.getKey(), e.getValue()));
    }

    /** The transports seen so far. */
    public List<String> transports() {
        synchronized (this) {
            return List.of(Arrays.copyOf(transports, transportCount));
        }
    }

    private int slotOf(String transport) {
        int n = published;
        for (int i = 0; i < n; i++) {
            if (transports[i].equals(transport)) {
                return i;
            }
        }
        return -1;
    }

    void connected(int slot) {
        connects[slot].increment();
    }

    void disconnected(int slot, @Nullable Disconnect disconnect) {
        int code = disconnect == null ? NO_CODE : disconnect.code();
        disconnectsTotal[slot].increment();
        Map<Integer, LongAdder> codes = disconnects[slot];
        LongAdder count = codes.get(code);
        if (count == null) {
            count = newCode(slot, code);
        }
        count.increment();
    }

    private LongAdder newCode(int slot, int code) {
        NewLabels told;
        LongAdder count;
        int key = code;
        synchronized (this) {
            Map<Integer, LongAdder> codes = disconnects[slot];
            if (!codes.containsKey(code) && codes.size() >= MAX_CODES - 1) {
                key = OTHER_CODE;
            }
            count = codes.get(key);
            if (count != null) {
                return count;
            }
            count = new LongAdder();
            codes.put(key, count);
            told = listener;
        }
        if (told != null) {
            told.disconnect(transports[slot], key);
        }
        return count;
    }

    /**
     * Adds one delivery's sessions, counted per transport slot by the fan-out in {@code counts[from + slot]},
     * and sets each back to 0: it is the delivering thread's scratch array, reused for its next delivery.
     */
    void delivered(int[] counts, int from) {
        for (int slot = 0; slot < MAX_TRANSPORTS; slot++) {
            if (counts[from + slot] != 0) {
                deliveries[slot].add(counts[from + slot]);
                counts[from + slot] = 0;
            }
        }
    }

    void authFailed(InvalidTokenException.Reason reason) {
        authFailures[reason.ordinal()].increment();
    }

    /** Sessions opened over the transport since start. */
    public long connects(String transport) {
        int slot = slotOf(transport);
        return slot < 0 ? 0 : connects[slot].sum();
    }

    /** Sessions of the transport open now: opened minus ended, so reading it scans no session. */
    public long sessions(String transport) {
        int slot = slotOf(transport);
        // ended is read first: a session that ends between the two reads is then never counted below zero
        return slot < 0 ? 0 : Math.max(0, -disconnectsTotal[slot].sum() + connects[slot].sum());
    }

    /** Sessions of the transport ended with the close code ({@link #NO_CODE} when none is known; 1000 when the client ended it). */
    public long disconnects(String transport, int code) {
        int slot = slotOf(transport);
        LongAdder count = slot < 0 ? null : disconnects[slot].get(code);
        return count == null ? 0 : count.sum();
    }

    /** Messages queued to sessions of the transport (one per session reached by a publish). */
    public long deliveries(String transport) {
        int slot = slotOf(transport);
        return slot < 0 ? 0 : deliveries[slot].sum();
    }

    /** Client tokens refused, and banned uids refused, for the reason. */
    public long authFailures(InvalidTokenException.Reason reason) {
        return authFailures[reason.ordinal()].sum();
    }

    /** Publishes accepted from the source; {@link Source#API} is not counted here (see {@link #countedAs}). */
    public long published(Source source) {
        return bySource[source.ordinal()].sum();
    }

    /**
     * Receives, in nanoseconds, the time from a publish's acceptance to the first write of its frame to
     * a socket: one sample per frame (a publish to several streams has one frame per stream), from
     * whichever session wrote it first. {@code null} stops sampling.
     */
    public void sampleFanoutLatency(@Nullable LongConsumer sink) {
        fanoutLatency = sink;
    }

    @Nullable LongConsumer fanoutLatency() {
        return fanoutLatency;
    }

    /**
     * A token verifier that counts each refusal by its reason. {@link TokenVerifier#uncounted()} gives the
     * verifier it wraps, for a check whose refusal is checked (and counted) again elsewhere.
     */
    public TokenVerifier counted(TokenVerifier verifier) {
        return new TokenVerifier() {
            @Override
            public ClientClaims verify(String token) throws InvalidTokenException {
                try {
                    return verifier.verify(token);
                } catch (InvalidTokenException e) {
                    authFailed(e.reason());
                    throw e;
                }
            }

            @Override
            public TokenVerifier uncounted() {
                return verifier.uncounted();
            }
        };
    }

    /**
     * A connect proxy that counts each refusal: {@code backend_refused} when the backend said no,
     * {@code backend_unavailable} when it could not answer.
     */
    public ConnectProxy counted(ConnectProxy proxy) {
        if (!proxy.enabled()) {
            return proxy;
        }
        return new ConnectProxy() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public reactor.core.publisher.Mono<ClientClaims> admit(Attempt attempt) {
                return proxy.admit(attempt).doOnError(e -> authFailed(e instanceof ConnectProxy.Refused refused && !refused.unavailable()
                        ? InvalidTokenException.Reason.BACKEND_REFUSED : InvalidTokenException.Reason.BACKEND_UNAVAILABLE));
            }
        };
    }

    /**
     * A broker that counts the publishes it had accepted (not a duplicate) as coming from {@code source}.
     * The API's publishes need no wrapper: every accepted publish is counted by the node, and the API's are
     * those not counted here.
     */
    public Broker countedAs(Source source, Broker broker) {
        LongAdder count = bySource[source.ordinal()];
        return new Broker() {
            @Override
            public Mono<List<PublishResult>> publish(List<Publication> publications) {
                return broker.publish(publications).doOnNext(results -> {
                    int accepted = 0;
                    for (PublishResult result : results) {
                        if (!result.duplicate()) {
                            accepted++;
                        }
                    }
                    count.add(accepted);
                });
            }

            @Override
            public Mono<Integer> joinUid(String uid, String group) {
                return broker.joinUid(uid, group);
            }

            @Override
            public Mono<Integer> leaveUid(String uid, String group) {
                return broker.leaveUid(uid, group);
            }

            @Override
            public Mono<Hub.Join> joinClient(String clientId, String group) {
                return broker.joinClient(clientId, group);
            }

            @Override
            public Mono<Boolean> leaveClient(String clientId, String group) {
                return broker.leaveClient(clientId, group);
            }

            @Override
            public Mono<Integer> kickUid(String uid) {
                return broker.kickUid(uid);
            }

            @Override
            public Mono<Void> banUid(String uid, long untilMillis) {
                return broker.banUid(uid, untilMillis);
            }

            @Override
            public Mono<Boolean> kickClient(String clientId) {
                return broker.kickClient(clientId);
            }

            @Override
            public Mono<Boolean> setSessionData(String clientId, @org.jspecify.annotations.Nullable String data) {
                return broker.setSessionData(clientId, data);
            }

            @Override
            public Mono<List<NodeStats>> stats() {
                return broker.stats();
            }

            @Override
            public boolean healthy() {
                return broker.healthy();
            }
        };
    }
}
