package io.pushgate.broker.redis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.pushgate.core.BrokerRole;
import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Roster;
import io.pushgate.core.Target;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Publishes on the partitioned log (see {@code docs/partitioned-log.md}): each message goes to every
 * partition that holds a session it may reach, on the channels of those sessions' addresses: a uid's
 * partition on the uid's channel, a client's on its uid's channel, and every partition's shared channel
 * for a group or {@code all}. The entry's value is the whole message, the same bytes in each partition:
 * each node delivers a partition's copy only to its sessions of that partition.
 *
 * <p><b>Atomicity.</b> Each partition's part of a batch is one script call: all of it or none. A batch
 * that spans partitions is one call per partition, sent together; if one fails the answer is a 503 that
 * says whether any part may have been published (the others may have been), and a retry with the same
 * idempotency keys completes it with each part delivered once, because every partition keeps the key.
 */
final class PartitionedPublisher {

    private final BrokerRole node;
    private final PartitionLayout layout;
    private final List<PartitionLog> logs;
    private final LogCodec codec;

    PartitionedPublisher(BrokerRole node, PartitionLayout layout, List<PartitionLog> logs, LogCodec codec) {
        this.node = node;
        this.layout = layout;
        this.logs = logs;
        this.codec = codec;
    }

    /**
     * The partitions a publication is written to, each with the channels it goes out on and the uids it
     * is held for ({@code +<ttl ms>:<uid>}, see {@link Scripts#PARTITION_APPEND}).
     */
    Map<Integer, Set<String>> channels(Target target, List<String> holdFor, int ttlSeconds) {
        Map<Integer, Set<String>> out = new TreeMap<>();
        if (target.all() || !target.groups().isEmpty()) {
            for (int k = 0; k < layout.count(); k++) {
                out.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(PartitionLayout.SHARED_CHANNEL);
            }
        }
        for (String uid : target.uids()) {
            out.computeIfAbsent(layout.of(uid), x -> new LinkedHashSet<>()).add(PartitionLayout.uidChannel(uid));
        }
        for (String uid : holdFor) {
            out.computeIfAbsent(layout.of(uid), x -> new LinkedHashSet<>()).add("+" + ttlSeconds * 1000L + ":" + uid);
        }
        for (String clientId : target.clients()) {
            Roster.Member m = node.clusterSession(clientId);
            if (m != null) { // connected nowhere: nothing to deliver, and no uid to hold it for
                out.computeIfAbsent(layout.of(m.uid()), x -> new LinkedHashSet<>()).add(PartitionLayout.uidChannel(m.uid()));
            }
        }
        return out;
    }

    Mono<List<PublishResult>> publish(List<Publication> publications, long ts) {
        int n = publications.size();
        List<PreparedPublish> prepared = new ArrayList<>(n);
        // per partition: the indexes of the publications written there, and their entries in that order
        Map<Integer, List<Integer>> indexes = new TreeMap<>();
        Map<Integer, List<String>> entries = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            PreparedPublish p = PreparedPublish.of(publications.get(i), node, codec, ts);
            prepared.add(p);
            Publication publication = publications.get(i);
            List<String> holdFor = publication.ttlSeconds() > 0 && !publication.target().all() ? p.offline() : List.of();
            for (Map.Entry<Integer, Set<String>> e : channels(publication.target(), holdFor, publication.ttlSeconds()).entrySet()) {
                indexes.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(i);
                List<String> fields = entries.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
                fields.add(p.kind());
                fields.add(LogEntry.items(e.getValue()));
                fields.add(p.value());
            }
        }
        // every partition's call is sent at once; each answers for its part
        List<Mono<Map.Entry<Integer, LogAppender.Appended>>> calls = new ArrayList<>(entries.size());
        String[] epochs = new String[layout.count()]; // the epoch each call is sent in names its numbers
        for (Map.Entry<Integer, List<String>> e : entries.entrySet()) {
            int k = e.getKey();
            epochs[k] = logs.get(k).epoch;
            calls.add(logs.get(k).appender.appendAll(e.getValue()).map(appended -> Map.entry(k, appended)));
        }
        if (calls.isEmpty()) { // a target that names nobody connected anywhere: nothing to write
            List<PublishResult> out = new ArrayList<>(n);
            prepared.forEach(p -> out.add(p.answer(logs.get(0).epoch, 0)));
            return Mono.just(out);
        }
        return Flux.fromIterable(calls).flatMap(Mono::materialize, calls.size())
                .collectList()
                .flatMap(signals -> {
                    List<Throwable> errors = signals.stream().filter(s -> s.isOnError()).map(s -> s.getThrowable()).toList();
                    if (!errors.isEmpty()) {
                        return Mono.error(failure(errors, signals.size()));
                    }
                    // the lowest partition a publication went to names it: its id and, for a repeat, its first answer
                    PublishResult[] results = new PublishResult[n];
                    signals.stream().map(s -> s.get()).sorted(Map.Entry.comparingByKey()).forEach(done -> {
                        int k = done.getKey();
                        LogAppender.Appended appended = done.getValue();
                        List<Integer> which = indexes.get(k);
                        for (int j = 0; j < which.size(); j++) {
                            int i = which.get(j);
                            if (results[i] == null) {
                                String first = appended.duplicates()[j];
                                results[i] = first != null ? LogAppender.duplicate(first)
                                        : prepared.get(i).answer(epochs[k], appended.seqs()[j]);
                            }
                        }
                    });
                    List<PublishResult> out = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        out.add(results[i] != null ? results[i] : prepared.get(i).answer(logs.get(0).epoch, 0));
                    }
                    return Mono.just(out);
                });
    }

    /**
     * A 503 for a publish some of whose partitions failed: unknown outcome when any part went through, or
     * when a failed call may have been done anyway (a timeout); else nothing was published.
     */
    private static BrokerUnavailableException failure(List<Throwable> errors, int calls) {
        boolean unknown = errors.size() < calls;
        for (Throwable e : errors) {
            unknown |= !(e instanceof BrokerUnavailableException b) || b.outcomeUnknown();
        }
        return new BrokerUnavailableException(errors.size() < calls
                ? "Redis took only part of the publish: retry it with the same idempotency key"
                : "Redis cannot be reached", errors.get(0), unknown);
    }
}
