package io.pushgate.core;

import java.util.ArrayList;
import java.util.List;

import reactor.core.publisher.Mono;

/** The broker of a node that runs alone: everything happens here, at once. */
public final class LocalBroker implements Broker {

    private final PushNode node;

    public LocalBroker(PushNode node) {
        this.node = node;
    }

    @Override
    public Mono<List<PublishResult>> publish(List<Publication> publications) {
        return Mono.fromSupplier(() -> {
            List<PublishResult> results = new ArrayList<>(publications.size());
            for (Publication publication : publications) {
                results.add(node.publish(publication));
            }
            return results;
        });
    }

    @Override
    public Mono<Integer> joinUid(String uid, String group) {
        return Mono.fromSupplier(() -> node.hub().joinUidWithinLimits(uid, group));
    }

    @Override
    public Mono<Integer> leaveUid(String uid, String group) {
        return Mono.fromSupplier(() -> node.hub().leaveUid(uid, group));
    }

    @Override
    public Mono<Hub.Join> joinClient(String clientId, String group) {
        return Mono.fromSupplier(() -> {
            Session session = node.hub().client(clientId);
            return session == null ? null : node.hub().join(session, group);
        });
    }

    @Override
    public Mono<Boolean> leaveClient(String clientId, String group) {
        return Mono.fromSupplier(() -> {
            Session session = node.hub().client(clientId);
            return session == null ? null : node.hub().leave(session, group);
        });
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
        return Mono.fromSupplier(() -> List.of(node.stats()));
    }
}
