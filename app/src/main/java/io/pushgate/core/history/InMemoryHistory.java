package io.pushgate.core.history;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pushgate.core.Address;

/**
 * History in this node's memory: a deque per stream, trimmed on every append and by {@link #sweep()},
 * which the node runs every few seconds so idle streams give their memory back.
 */
public final class InMemoryHistory implements History {

    private volatile String epoch;
    /** Entries at or below it may be missing here (before this node joined its cluster): resuming from before it resets. */
    private volatile long completeAfter;
    private final Duration window;
    private final int maxPerStream;
    private final Clock clock;
    private final int maxTotal;
    private final Map<Address, Stream> streams = new ConcurrentHashMap<>();
    /** Every append in order, so the node-wide cap evicts the oldest message of the whole node first. */
    private final ArrayDeque<Appended> order = new ArrayDeque<>();
    private final java.util.concurrent.atomic.AtomicLong total = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, Deque<Entry>> offline = new ConcurrentHashMap<>();

    /** The stream itself, not its address: evicting needs no map lookup. */
    private record Appended(Stream stream, long seq) {
    }

    public InMemoryHistory(Duration window, int maxPerStream, Clock clock) {
        this(window, maxPerStream, Integer.MAX_VALUE, clock);
    }

    /**
     * @param maxTotal messages kept on the whole node; past it the node's oldest message goes first,
     *                 whatever its stream, so memory stays bounded however many streams there are
     */
    public InMemoryHistory(Duration window, int maxPerStream, int maxTotal, Clock clock) {
        if (window.isNegative() || window.isZero() || maxPerStream < 1 || maxTotal < 1) {
            throw new IllegalArgumentException("history window and sizes must be positive");
        }
        this.maxTotal = maxTotal;
        this.epoch = randomEpoch();
        this.window = window;
        this.maxPerStream = maxPerStream;
        this.clock = clock;
    }

    @Override
    public Duration window() {
        return window;
    }

    @Override
    public String epoch() {
        return epoch;
    }

    @Override
    public synchronized void adopt(String clusterEpoch, long completeAfter) {
        if (!clusterEpoch.equals(epoch)) {
            streams.clear();
            synchronized (order) {
                order.clear();
            }
            total.set(0);
            offline.clear();
            epoch = clusterEpoch;
        }
        this.completeAfter = Math.max(this.completeAfter, completeAfter);
    }

    @Override
    public void append(Address stream, Entry entry) {
        Stream s;
        while (true) {
            s = streams.computeIfAbsent(stream, k -> new Stream());
            synchronized (s) {
                if (s.detached) {
                    continue; // a sweep just forgot it as empty: append to its successor instead
                }
                s.entries.addLast(entry);
                total.incrementAndGet();
                total.addAndGet(-s.trim(clock.millis(), maxPerStream));
                break;
            }
        }
        synchronized (order) {
            order.addLast(new Appended(s, entry.seq()));
            while (total.get() > maxTotal && !order.isEmpty()) {
                evict(order.pollFirst());
            }
        }
    }

    /** Drops the entry if it is still its stream's oldest; it may have been trimmed already. */
    private void evict(Appended appended) {
        Stream s = appended.stream();
        synchronized (s) {
            Entry head = s.entries.peekFirst();
            if (head != null && head.seq() == appended.seq()) {
                s.entries.removeFirst();
                s.evictedSeq = Math.max(s.evictedSeq, head.seq());
                total.decrementAndGet();
            }
        }
    }

    /** Messages held now across all streams. */
    public long size() {
        return total.get();
    }

    @Override
    public Replay readAfter(List<Address> addresses, Cursor after, int limit) {
        long now = clock.millis();
        if (!after.epoch().equals(epoch) || after.ts() < now - window.toMillis() || after.seq() < completeAfter) {
            return Replay.RESET;
        }
        List<Entry> found = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (Address address : addresses) {
            Stream s = streams.get(address);
            if (s == null) {
                continue;
            }
            synchronized (s) {
                total.addAndGet(-s.trim(now, maxPerStream));
                if (s.evictedSeq > after.seq()) {
                    return Replay.RESET;
                }
                Iterator<Entry> newest = s.entries.descendingIterator();
                List<Entry> mine = new ArrayList<>();
                while (newest.hasNext()) {
                    Entry e = newest.next();
                    if (e.seq() <= after.seq()) {
                        break;
                    }
                    mine.add(e);
                }
                for (int i = mine.size() - 1; i >= 0; i--) {
                    if (seen.add(mine.get(i).seq())) {
                        found.add(mine.get(i));
                    }
                }
            }
        }
        found.sort((a, b) -> Long.compare(a.seq(), b.seq()));
        if (found.size() > limit) {
            return new Replay(List.copyOf(found.subList(0, limit)), false, true);
        }
        return new Replay(found, false, false);
    }

    @Override
    public void holdForOffline(String uid, Entry entry) {
        Deque<Entry> held = offline.computeIfAbsent(uid, k -> new ArrayDeque<>());
        synchronized (held) {
            held.addLast(entry);
            while (held.size() > maxPerStream) {
                held.removeFirst();
            }
        }
    }

    @Override
    public List<Entry> takeOffline(String uid) {
        Deque<Entry> held = offline.remove(uid);
        if (held == null) {
            return List.of();
        }
        long now = clock.millis();
        synchronized (held) {
            return held.stream().filter(e -> e.keepUntil() >= now).toList();
        }
    }

    /** Drops expired entries everywhere and forgets empty streams. */
    @Override
    public void sweep() {
        long now = clock.millis();
        streams.forEach((address, s) -> {
            synchronized (s) {
                total.addAndGet(-s.trim(now, maxPerStream));
                if (s.entries.isEmpty()) {
                    streams.remove(address, s);
                    s.detached = true;
                }
            }
        });
        synchronized (order) { // forget appends whose entries are gone, oldest first
            while (!order.isEmpty() && isGone(order.peekFirst())) {
                order.pollFirst();
            }
        }
        offline.forEach((uid, held) -> {
            synchronized (held) {
                held.removeIf(e -> e.keepUntil() < now);
                if (held.isEmpty()) {
                    offline.remove(uid, held);
                }
            }
        });
    }

    private boolean isGone(Appended appended) {
        Stream s = appended.stream();
        synchronized (s) {
            Entry head = s.entries.peekFirst();
            return head == null || head.seq() > appended.seq();
        }
    }

    /** Streams held now; for stats and tests. */
    public int streamCount() {
        return streams.size();
    }

    private static final class Stream {
        final ArrayDeque<Entry> entries = new ArrayDeque<>();
        /** Highest sequence number dropped because the stream was full; a resume from before it has a gap. */
        long evictedSeq = -1;
        /** Forgotten by a sweep while empty; an append that raced with it goes to the stream that replaces it. */
        boolean detached;

        /** @return how many entries were dropped */
        int trim(long now, int max) {
            int dropped = 0;
            while (!entries.isEmpty()) {
                Entry head = entries.peekFirst();
                if (entries.size() > max) {
                    evictedSeq = Math.max(evictedSeq, head.seq());
                } else if (head.keepUntil() >= now) {
                    break;
                }
                entries.removeFirst();
                dropped++;
            }
            return dropped;
        }
    }

    private static String randomEpoch() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder(5);
        for (int i = 0; i < 5; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }
}
