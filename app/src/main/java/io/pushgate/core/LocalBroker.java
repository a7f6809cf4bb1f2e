package io.pushgate.core;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import reactor.core.publisher.Mono;

/** The broker of a node that runs alone: everything happens here, at once. */
public final class LocalBroker implements Broker {

    public static final Duration DEFAULT_IDEMPOTENCY_WINDOW = Duration.ofMinutes(10);
    public static final int DEFAULT_IDEMPOTENCY_MAX_KEYS = 100_000;

    private final BrokerRole node;
    private final IdempotencyKeys idempotency;
    private final Clock clock;

    public LocalBroker(BrokerRole node) {
        this(node, DEFAULT_IDEMPOTENCY_WINDOW, DEFAULT_IDEMPOTENCY_MAX_KEYS, Clock.systemUTC());
    }

    public LocalBroker(BrokerRole node, Duration idempotencyWindow, int idempotencyMaxKeys, Clock clock) {
        this.node = node;
        this.idempotency = new IdempotencyKeys(idempotencyWindow, idempotencyMaxKeys);
        this.clock = clock;
    }

    /**
     * A publish with an idempotency key seen within the window is not delivered again: it is answered with
     * the first answer, marked duplicate. Keyed publishes are serialised, so two concurrent repeats of one
     * key deliver once; publishes without a key never wait for that.
     */
    @Override
    public Mono<List<PublishResult>> publish(List<Publication> publications) {
        return Mono.fromSupplier(() -> {
            List<PublishResult> results = new ArrayList<>(publications.size());
            for (Publication publication : publications) {
                String key = publication.idempotencyKey();
                if (key == null) {
                    results.add(node.publish(publication));
                    continue;
                }
                synchronized (idempotency) {
                    long now = clock.millis();
                    PublishResult first = idempotency.first(key, now);
                    if (first != null) {
                        results.add(first.asDuplicate());
                    } else {
                        PublishResult answer = node.publish(publication);
                        idempotency.remember(key, answer, now);
                        results.add(answer);
                    }
                }
            }
            return results;
        });
    }

    @Override
    public Mono<Integer> joinUid(String uid, String group) {
        return Mono.fromSupplier(() -> node.joinUidWithinLimits(uid, group));
    }

    @Override
    public Mono<Void> banUid(String uid, long untilMillis) {
        return Mono.fromRunnable(() -> node.ban(uid, untilMillis));
    }

    @Override
    public Mono<Integer> leaveUid(String uid, String group) {
        return Mono.fromSupplier(() -> node.leaveUid(uid, group));
    }

    @Override
    public Mono<Hub.Join> joinClient(String clientId, String group) {
        return Mono.fromSupplier(() -> node.joinLocalClient(clientId, group));
    }

    @Override
    public Mono<Boolean> leaveClient(String clientId, String group) {
        return Mono.fromSupplier(() -> node.leaveLocalClient(clientId, group));
    }

    @Override
    public Mono<Boolean> setSessionData(String clientId, @org.jspecify.annotations.Nullable String data) {
        return Mono.fromSupplier(() -> node.setLocalSessionData(clientId, data));
    }

    @Override
    public Mono<Integer> kickUid(String uid) {
        return Mono.fromSupplier(() -> node.kickUid(uid));
    }

    @Override
    public Mono<Boolean> kickClient(String clientId) {
        return Mono.fromSupplier(() -> node.kickClient(clientId));
    }

    @Override
    public Mono<List<NodeStats>> stats() {
        return Mono.fromSupplier(() -> List.of(node.stats().withBrokerState(NodeStats.BROKER_MEMORY)));
    }
}
