package io.pushgate.core;

import java.util.List;

import reactor.core.publisher.Mono;

/**
 * Where publishes, membership changes and kicks go, so they reach the sessions they name on every
 * node: {@link LocalBroker} when the node runs alone, a cluster broker (Redis) otherwise. Transports
 * and the API call this instead of the {@link PushNode} for anything that may concern another node.
 *
 * <p>Answers count what the cluster's {@link Roster} knows at the moment of the request. A broker
 * that cannot do what was asked (its store is unreachable) fails the {@code Mono} with
 * {@link BrokerUnavailableException}; nothing is half-done.
 */
public interface Broker {

    /** Publishes each in order, all or none of them; answers in the same order. */
    Mono<List<PublishResult>> publish(List<Publication> publications);

    default Mono<PublishResult> publish(Publication publication) {
        return publish(List.of(publication)).map(results -> results.get(0));
    }

    /** Puts the uid's sessions in the group, now and when it connects later. @return the uid's sessions in it */
    Mono<Integer> joinUid(String uid, String group);

    /** @return the uid's sessions that were in the group */
    Mono<Integer> leaveUid(String uid, String group);

    /** @return empty when no such client is connected anywhere */
    Mono<Hub.Join> joinClient(String clientId, String group);

    /** @return whether it was a member; empty when no such client is connected anywhere */
    Mono<Boolean> leaveClient(String clientId, String group);

    /**
     * Replaces the client's session data with {@code data} (a JSON object's text, {@code null} for none), on
     * whichever node holds it. @return whether such a client was connected anywhere
     */
    Mono<Boolean> setSessionData(String clientId, @org.jspecify.annotations.Nullable String data);

    /** Closes every session of the uid with 4403. @return how many */
    Mono<Integer> kickUid(String uid);

    /**
     * Refuses the uid's new sessions (403, close 4403) on every node until {@code untilMillis} (epoch ms).
     * Given before the kick that goes with it, so no session opened in between survives the kick.
     */
    Mono<Void> banUid(String uid, long untilMillis);

    /** @return whether such a client was connected anywhere */
    Mono<Boolean> kickClient(String clientId);

    /** Counters of every node, this one first. */
    Mono<List<NodeStats>> stats();

    /** Whether the broker can reach the rest of the cluster now; always true alone. */
    default boolean healthy() {
        return true;
    }
}
