package io.pushgate.broker.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.Cursor;
import io.pushgate.core.Limits;
import io.pushgate.core.MembershipLimitException;
import io.pushgate.core.PublishResult;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Appends entries to one log, the cluster log or one partition of the partitioned log ({@link Call}): one queue, drained by one script call at a time, so entries reach
 * the log in the order they were queued. Whatever queued while a call was in flight goes in the next
 * call (up to {@value #BATCH} entries), and the entries queued together are never split between calls:
 * all of them reach the log, or none.
 *
 * <p>Every caller gets an answer: a sequence number, the first answer of an idempotency key seen within
 * the window, a {@link MembershipLimitException} the script decided, or a {@link BrokerUnavailableException}
 * that says whether the entries may have been appended anyway.
 */
final class LogAppender {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    private static final int BATCH = 512;

    /**
     * What the append script did with one Pending's entries: each entry's sequence number, or, for a
     * message whose idempotency key was seen within the window, the first answer stored with the key.
     */
    record Appended(long[] seqs, @Nullable String[] duplicates) {
    }

    /**
     * The script call that appends a batch to one log. Each entry is {@link #width} strings: kind and value
     * for the cluster log; kind, channels and value for a partition.
     */
    interface Call {
        int width();

        /** Sends the batch's entries, flattened; answers as {@link Scripts#APPEND} does. */
        @SuppressWarnings("rawtypes")
        reactor.core.publisher.Flux<List> send(List<String> entries);

        /** A call failed; its callers were told. The node resyncs what the failure says it must. */
        void failed(Throwable error);

        /** A call numbered entries up to {@code seq}. */
        default void numbered(long seq) {
        }
    }

    /** Entries appended by one script call, never split: {@code fields} holds {@code width} strings per entry. */
    private record Pending(List<String> fields, int width, Sinks.@Nullable One<Appended> done) {

        int entries() {
            return fields.size() / width;
        }
    }

    private final Call call;
    private final RedisSettings settings;
    private final Limits limits;
    private final ClusterLink link;

    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** {@link System#nanoTime()} when the script call in flight was sent; 0 when none is. For diagnosis. */
    private volatile long callSentAt;

    /** The cluster log's appender: the {@link Scripts#APPEND} script, which keeps presence and memberships too. */
    LogAppender(ReactiveStringRedisTemplate redis, RedisKeys keys, RedisSettings settings, Limits limits, ClusterLink link) {
        this(new Call() {
            @Override
            public int width() {
                return 2;
            }

            @Override
            @SuppressWarnings("rawtypes")
            public reactor.core.publisher.Flux<List> send(List<String> entries) {
                List<String> args = new ArrayList<>(7 + entries.size());
                args.add(link.epoch); // before the position: see ClusterLink.applied
                String applied = Long.toString(link.applied);
                args.add(Integer.toString(settings.logLength()));
                args.add(keys.prefix());
                args.add(Integer.toString(limits.groupsPerUid()));
                args.add(Integer.toString(limits.membershipUids()));
                args.add(Long.toString(settings.idempotencyWindow().toMillis()));
                args.add(applied);
                args.addAll(entries);
                return redis.execute(Scripts.APPEND, List.of(keys.epoch(), keys.seq(), keys.log()), args);
            }

            @Override
            public void failed(Throwable error) {
                link.down(error).subscribe(); // the read loop resyncs: the epoch, the sequence, presence
            }
        }, settings, limits, link);
    }

    LogAppender(Call call, RedisSettings settings, Limits limits, ClusterLink link) {
        this.call = call;
        this.settings = settings;
        this.limits = limits;
        this.link = link;
    }

    /** Queues an entry nobody waits for (session changes, restates); it goes with the next call. */
    void enqueue(LogEntry entry) {
        queue.add(new Pending(List.of(entry.kind(), entry.value()), 2, null));
    }

    /** Queues one entry; completes with its sequence number once Redis has it. */
    Mono<Long> append(LogEntry entry) {
        return appendAll(List.of(entry.kind(), entry.value())).map(appended -> appended.seqs()[0]);
    }

    /**
     * Queues entries to append together ({@code fields}: {@link Call#width} strings per entry, for the cluster
     * log kind and value); completes with what became of each. Never waits forever: each script call gives up after the Redis timeout, so an
     * answer later than twice that means the queue itself is stuck, which is logged with its state and
     * answered as Redis being unavailable instead of leaving the caller's request hanging.
     */
    Mono<Appended> appendAll(List<String> fields) {
        Sinks.One<Appended> done = Sinks.one();
        Pending pending = new Pending(fields, call.width(), done);
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
    void drain() {
        if (link.stopped || !draining.compareAndSet(false, true)) {
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
        List<String> fields = new ArrayList<>(entries * call.width());
        for (Pending p : batch) {
            fields.addAll(p.fields());
        }
        callSentAt = System.nanoTime();
        try {
            call.send(fields)
                    .next()
                    .switchIfEmpty(Mono.error(() -> new IllegalStateException("the append script answered nothing")))
                    .timeout(settings.timeout())
                    .subscribe(answer -> {
                        try {
                            answer(batch, answer);
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

    /** Hands each Pending of the batch its share of the script's answer. */
    private void answer(List<Pending> batch, List<?> answer) {
        long seq = Long.parseLong(String.valueOf(answer.get(0))); // numbers follow on, skipping duplicates
        long firstSeq = seq;
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
        if (seq > firstSeq) {
            call.numbered(seq - 1);
        }
    }

    /** The first answer the append script kept for an idempotency key: {@code epoch, seq, ts, sessions, online, offline}. */
    static PublishResult duplicate(String first) {
        List<String> f = LogEntry.split(first, LogEntry.FIELD);
        Cursor id = new Cursor(f.get(0), Long.parseLong(f.get(1)), Long.parseLong(f.get(2)));
        return new PublishResult(id.text(), Integer.parseInt(f.get(3)), LogEntry.splitItems(f.get(4)),
                LogEntry.splitItems(f.get(5)), true);
    }

    private MembershipLimitException membershipRefused(String why) {
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
        call.failed(error);
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
}
