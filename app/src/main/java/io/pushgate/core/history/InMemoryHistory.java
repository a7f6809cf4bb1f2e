package io.pushgate.core.history;

import io.pushgate.core.Replay;
import io.pushgate.core.History;
import io.pushgate.core.Entry;
import io.pushgate.core.Cursor;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.pushgate.core.Address;

/**
 * History in this node's memory: a deque per stream, trimmed on every append and by {@link #sweep()},
 * which the node runs every few seconds so idle streams give their memory back.
 *
 * <p>Memory bounds, whatever is published and however long its {@code ttl}:
 * <ul>
 * <li>at most {@code maxTotal} messages across all streams, {@code maxPerStream} in one; past either the
 * oldest goes first, and a cursor from before a message that went this way resets;</li>
 * <li>the index that finds the node's oldest message holds one record per message still kept plus at
 * most as many dead ones and a few (each of its stripes is compacted when half of it is dead), so a
 * message kept for days never keeps a record of every later publish;</li>
 * <li>a stream emptied by the node-wide cap is remembered, so that a cursor from before what it lost
 * resets, only while that matters (a window) and for at most {@code maxTotal} streams; past that the
 * oldest such memory is folded into one node-wide mark, and cursors from before it reset: never a
 * silent gap;</li>
 * <li>at most {@code maxHeld} messages held for offline uids, {@code maxPerStream} per uid; past either
 * the oldest hold goes first.</li>
 * </ul>
 *
 * <p>Threads append side by side: a stream has its own monitor, and the index of the oldest messages is
 * striped by thread, so two publishers to different streams share no lock and write no counter in common
 * (the node-wide total is the sum of the stripes' counts, read only when there is a cap to check).
 *
 * <p>Why one class of about 600 lines: the three bounds above share one index of the oldest messages;
 * split, each part would need the index handed to it, and the bound that holds across them could no
 * longer be read in one place.
 */
public final class InMemoryHistory implements History {

    /** Dead index records tolerated on top of twice the live ones before a compaction. */
    private static final int COMPACT_SLACK = 64;
    /** Index stripes: a power of two, more than the threads that publish at once on most machines. */
    private static final int STRIPES = 16;

    private volatile String epoch;
    /** Entries at or below it may be missing here (before this node joined its cluster): resuming from before it resets. */
    private volatile long completeAfter;
    /** A stream that lost entries up to here was forgotten before that stopped mattering: older cursors reset. */
    private volatile long forgottenThrough = -1;
    private final Duration window;
    private final int maxPerStream;
    private final Clock clock;
    private final int maxTotal;
    private final int maxHeld;
    private final Map<Address, Stream> streams = new ConcurrentHashMap<>();
    /**
     * The index of every entry kept, so the node-wide cap evicts the node's oldest message first: in
     * stripes, each in its own append order (each thread appends to one, by its id), so that publishers on
     * different cores write no index, counter or lock in common; the oldest entry is the oldest of the
     * stripes' heads. One thread's appends, as in the tests, go to one stripe, in sequence order.
     */
    private final Stripe[] stripes = new Stripe[STRIPES];
    /**
     * Held while the node-wide cap evicts, and for {@link #emptied}: one evictor at a time picks the oldest
     * head across the stripes.
     */
    private final Object evicting = new Object();
    /** Streams the node-wide cap emptied while their loss still matters, oldest loss first. Guarded by {@link #evicting}. */
    private final ArrayDeque<Stream> emptied = new ArrayDeque<>();
    /** One lock for every hold: a sweep forgetting a uid and a new hold for it can never interleave. */
    private final Holds holds = new Holds();

    public InMemoryHistory(Duration window, int maxPerStream, Clock clock) {
        this(window, maxPerStream, Integer.MAX_VALUE, Integer.MAX_VALUE, clock);
    }

    /** Holds for offline uids are capped at {@code maxTotal} too, counted apart from the history. */
    public InMemoryHistory(Duration window, int maxPerStream, int maxTotal, Clock clock) {
        this(window, maxPerStream, maxTotal, maxTotal, clock);
    }

    /**
     * @param maxTotal messages kept on the whole node; past it the node's oldest message goes first,
     *                 whatever its stream, so memory stays bounded however many streams there are
     * @param maxHeld  messages held for offline uids on the whole node; past it the oldest hold goes first
     */
    public InMemoryHistory(Duration window, int maxPerStream, int maxTotal, int maxHeld, Clock clock) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("history window must be positive");
        }
        if (maxPerStream < 1 || maxTotal < 1 || maxHeld < 1) {
            throw new IllegalArgumentException("history sizes must be positive");
        }
        this.maxTotal = maxTotal;
        this.maxHeld = maxHeld;
        this.epoch = randomEpoch();
        this.window = window;
        this.maxPerStream = maxPerStream;
        this.clock = clock;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
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
            streams.forEach((address, s) -> {
                synchronized (s) {
                    s.forget();
                    streams.remove(address, s);
                }
            });
            for (Stripe stripe : stripes) {
                synchronized (stripe) {
                    stripe.order.clear();
                }
            }
            synchronized (evicting) {
                emptied.clear();
            }
            synchronized (holds) {
                holds.clear();
            }
            epoch = clusterEpoch;
        }
        this.completeAfter = Math.max(this.completeAfter, completeAfter);
    }

    @Override
    public void append(Address stream, Entry entry) {
        long now = clock.millis();
        Stripe stripe = stripes[(int) Thread.currentThread().getId() & (STRIPES - 1)];
        Slot slot;
        while (true) {
            Stream s = streams.computeIfAbsent(stream, Stream::new);
            synchronized (s) {
                if (s.detached) {
                    continue; // a sweep just forgot it as empty: append to its successor instead
                }
                slot = new Slot(s, entry, stripe);
                s.add(slot);
                stripe.live.incrementAndGet();
                s.trim(now, maxPerStream);
                break;
            }
        }
        synchronized (stripe) {
            stripe.order.addLast(slot);
            stripe.compactIfMostlyDead();
        }
        if (maxTotal < Integer.MAX_VALUE && size() > maxTotal) { // without a cap, no other stripe is read
            synchronized (evicting) {
                while (size() > maxTotal) {
                    Slot oldest = pollOldest();
                    if (oldest == null) {
                        break;
                    }
                    evict(oldest, now);
                }
            }
        }
    }

    /**
     * Caller holds {@link #evicting}. Takes the oldest live entry's record off its stripe: the oldest of the
     * stripes' heads, after dropping the records of entries gone otherwise. @return it, or null when none
     */
    private Slot pollOldest() {
        Stripe from = null;
        Slot oldest = null;
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                while (!stripe.order.isEmpty() && stripe.order.peekFirst().gone) {
                    stripe.order.pollFirst();
                }
                Slot head = stripe.order.peekFirst();
                if (head != null && (oldest == null || head.entry.seq() < oldest.entry.seq())) {
                    oldest = head;
                    from = stripe;
                }
            }
        }
        if (from != null) {
            synchronized (from) {
                if (from.order.peekFirst() == oldest) { // else a compaction dropped it: it is gone, and evict skips it
                    from.order.pollFirst();
                }
            }
        }
        return oldest;
    }

    /** Caller holds {@link #evicting}. Drops the entry unless it is gone already. */
    private void evict(Slot slot, long now) {
        Stream s = slot.stream;
        boolean nowEmpty;
        synchronized (s) {
            if (slot.gone) {
                return;
            }
            // the node's oldest live entry is its stream's oldest too; anything else is found the slow way
            if (s.slots.peekFirst() == slot) {
                s.slots.removeFirst();
            } else {
                s.slots.remove(slot);
            }
            s.lost(slot);
            nowEmpty = s.slots.isEmpty() && !s.detached;
        }
        if (nowEmpty && s.lossMatters(now, window)) {
            emptied.addLast(s);
            while (emptied.size() > maxTotal) {
                Stream oldest = emptied.pollFirst();
                synchronized (oldest) {
                    if (oldest.slots.isEmpty() && !oldest.detached && oldest.lossMatters(now, window)) {
                        forgottenThrough = Math.max(forgottenThrough, oldest.evictedSeq);
                        detach(oldest);
                    }
                }
            }
        }
    }

    /** Caller holds the stream's monitor. */
    private void detach(Stream s) {
        streams.remove(s.address, s);
        s.detached = true;
    }

    /** Messages held now across all streams. */
    @Override
    public long size() {
        long total = 0;
        for (Stripe stripe : stripes) {
            total += stripe.live.get();
        }
        return total;
    }

    /** Records in the index that finds the node's oldest message; for tests of its bound. */
    int indexSize() {
        int size = 0;
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                size += stripe.order.size();
            }
        }
        return size;
    }

    /** Messages held for offline uids now. */
    public int heldCount() {
        synchronized (holds) {
            return holds.count;
        }
    }

    /** Records in the index that finds the oldest hold; for tests of its bound. */
    int heldIndexSize() {
        synchronized (holds) {
            return holds.order.size();
        }
    }

    /** Streams remembered only because they lost messages a live cursor may be missing; for tests of their bound. */
    int emptiedCount() {
        synchronized (evicting) {
            return emptied.size();
        }
    }

    /** Cursors at or after it are answered exactly per stream; before it, they reset. For tests. */
    long forgottenThrough() {
        return forgottenThrough;
    }

    @Override
    public Replay readAfter(List<Address> addresses, Cursor after, int limit) {
        long now = clock.millis();
        if (!after.epoch().equals(epoch) || after.ts() < now - window.toMillis() || after.seq() < completeAfter
                || after.seq() < forgottenThrough) {
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
                s.trim(now, maxPerStream);
                if (s.evictedSeq > after.seq()) {
                    return Replay.RESET;
                }
                Iterator<Slot> newest = s.slots.descendingIterator();
                List<Entry> mine = new ArrayList<>();
                while (newest.hasNext()) {
                    Entry e = newest.next().entry;
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

    /**
     * Past the uid's limit ({@code maxPerStream}) or the node's ({@code maxHeld}) the oldest hold goes
     * first. Nothing marks the loss for the uid: a session that connects without a cursor has no position
     * a reset could name. One that resumes with a cursor reads the uid's stream instead, where the same
     * message is kept for its {@code ttl} too, or reset when it went.
     */
    @Override
    public void holdForOffline(String uid, Entry entry) {
        synchronized (holds) {
            holds.hold(uid, entry);
        }
    }

    @Override
    public List<Entry> takeOffline(String uid) {
        long now = clock.millis();
        synchronized (holds) {
            return holds.take(uid, now);
        }
    }

    @Override
    public void dropOffline(String uid, long upToSeq) {
        synchronized (holds) {
            holds.drop(uid, upToSeq);
        }
    }

    /**
     * Drops expired entries everywhere (not only at a stream's head: a message held for days must not
     * keep the expired ones after it) and forgets empty streams whose losses no longer matter.
     */
    @Override
    public void sweep() {
        long now = clock.millis();
        streams.forEach((address, s) -> {
            synchronized (s) {
                s.trim(now, maxPerStream);
                s.dropExpired(now);
                if (s.slots.isEmpty() && !s.lossMatters(now, window)) {
                    detach(s);
                }
            }
        });
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                while (!stripe.order.isEmpty() && stripe.order.peekFirst().gone) {
                    stripe.order.pollFirst();
                }
                stripe.compactIfMostlyDead();
            }
        }
        synchronized (evicting) {
            emptied.removeIf(s -> {
                synchronized (s) {
                    return s.detached || !s.slots.isEmpty() || !s.lossMatters(now, window);
                }
            });
        }
        synchronized (holds) {
            holds.dropExpired(now);
        }
    }

    /** Streams held now; for stats and tests. */
    public int streamCount() {
        return streams.size();
    }

    /** One entry in its stream and in the node's index at once. */
    private static final class Slot {
        final Stream stream;
        final Entry entry;
        final Stripe stripe;
        /** Set under the stream's monitor when the entry leaves the stream; read by the index without it. */
        volatile boolean gone;

        Slot(Stream stream, Entry entry, Stripe stripe) {
            this.stream = stream;
            this.entry = entry;
            this.stripe = stripe;
        }
    }

    /** Padding ahead of a {@link Stripe}'s fields (superclass fields come first). */
    private abstract static class StripePad {
        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7;
    }

    /**
     * One stripe of the index, guarded by its own monitor: the records of the entries appended through it,
     * in append order (records of entries gone otherwise are dropped lazily), and how many of those entries
     * are kept now. On cache lines of its own: each publishing thread writes its stripe on every publish.
     */
    private static final class Stripe extends StripePad {
        final ArrayDeque<Slot> order = new ArrayDeque<>();
        /** Entries appended through this stripe and kept now; the node's total is the sum over the stripes. */
        final AtomicLong live = new AtomicLong();
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7;

        /** Caller holds this stripe. Keeps its records within twice its entries kept, plus a little. */
        void compactIfMostlyDead() {
            long kept = Math.max(0, live.get());
            if (order.size() > 2 * kept + COMPACT_SLACK) {
                order.removeIf(slot -> slot.gone);
            }
        }
    }

    private static final class Stream {
        final Address address;
        final ArrayDeque<Slot> slots = new ArrayDeque<>();
        /** Highest sequence number evicted (not expired); a resume from before it has a gap. */
        long evictedSeq = -1;
        /** When that entry was published: once it is older than the window, any cursor from before it resets anyway. */
        long evictedTs;
        /** Forgotten by a sweep while empty; an append that raced with it goes to the stream that replaces it. */
        boolean detached;

        Stream(Address address) {
            this.address = address;
        }

        /**
         * Adds in sequence order. Publishers append outside the node's sequence lock, so an entry may come
         * a little after a later one (a step or two back from the tail: as many as publish at once).
         */
        void add(Slot slot) {
            Slot last = slots.peekLast();
            if (last == null || last.entry.seq() < slot.entry.seq()) {
                slots.addLast(slot);
                return;
            }
            ArrayDeque<Slot> later = new ArrayDeque<>(2);
            while (!slots.isEmpty() && slots.peekLast().entry.seq() > slot.entry.seq()) {
                later.addFirst(slots.removeLast());
            }
            slots.addLast(slot);
            slots.addAll(later);
        }

        /** Drops entries past the limit (evicted) and expired ones at the head. */
        void trim(long now, int max) {
            while (!slots.isEmpty()) {
                Slot head = slots.peekFirst();
                if (slots.size() > max) {
                    slots.removeFirst();
                    lost(head);
                } else if (head.entry.keepUntil() < now) {
                    slots.removeFirst();
                    gone(head);
                } else {
                    break;
                }
            }
        }

        /**
         * An entry that expired is never one a resumable cursor misses: a cursor from before it is at
         * least as old as the entry, and the entry outlived the window.
         */
        void dropExpired(long now) {
            slots.removeIf(slot -> {
                if (slot.entry.keepUntil() < now) {
                    gone(slot);
                    return true;
                }
                return false;
            });
        }

        void lost(Slot slot) {
            if (slot.entry.seq() > evictedSeq) {
                evictedSeq = slot.entry.seq();
                evictedTs = slot.entry.ts();
            }
            gone(slot);
        }

        static void gone(Slot slot) {
            slot.gone = true;
            slot.stripe.live.decrementAndGet();
        }

        /** Whether a cursor young enough to resume could still be missing what this stream evicted. */
        boolean lossMatters(long now, Duration window) {
            return evictedSeq >= 0 && evictedTs >= now - window.toMillis();
        }

        void forget() {
            slots.forEach(Stream::gone);
            slots.clear();
            detached = true;
        }
    }

    /** One message held for one uid, in the uid's deque and in the node's index at once. */
    private static final class Hold {
        final String uid;
        final Entry entry;
        boolean gone;

        Hold(String uid, Entry entry) {
            this.uid = uid;
            this.entry = entry;
        }
    }

    /** Every hold, guarded by its own monitor. */
    private final class Holds {
        final Map<String, ArrayDeque<Hold>> byUid = new HashMap<>();
        /** Holds in the order they were made, so the node-wide cap drops the oldest first; dead records dropped lazily. */
        final ArrayDeque<Hold> order = new ArrayDeque<>();
        int count;

        void hold(String uid, Entry entry) {
            ArrayDeque<Hold> mine = byUid.computeIfAbsent(uid, k -> new ArrayDeque<>());
            Hold hold = new Hold(uid, entry);
            mine.addLast(hold);
            order.addLast(hold);
            count++;
            while (mine.size() > maxPerStream) {
                gone(mine.removeFirst());
            }
            while (count > maxHeld && !order.isEmpty()) {
                Hold oldest = order.pollFirst();
                if (!oldest.gone) {
                    ArrayDeque<Hold> its = byUid.get(oldest.uid);
                    its.remove(oldest); // its uid's oldest: the head
                    gone(oldest);
                    if (its.isEmpty()) {
                        byUid.remove(oldest.uid);
                    }
                }
            }
            compact();
        }

        List<Entry> take(String uid, long now) {
            ArrayDeque<Hold> mine = byUid.remove(uid);
            if (mine == null) {
                return List.of();
            }
            List<Entry> taken = new ArrayList<>(mine.size());
            for (Hold hold : mine) {
                gone(hold);
                if (hold.entry.keepUntil() >= now) {
                    taken.add(hold.entry);
                }
            }
            compact();
            return taken;
        }

        void drop(String uid, long upToSeq) {
            ArrayDeque<Hold> mine = byUid.get(uid);
            if (mine == null) {
                return;
            }
            mine.removeIf(hold -> {
                if (hold.entry.seq() <= upToSeq) {
                    gone(hold);
                    return true;
                }
                return false;
            });
            if (mine.isEmpty()) {
                byUid.remove(uid);
            }
            compact();
        }

        void dropExpired(long now) {
            byUid.values().removeIf(mine -> {
                mine.removeIf(hold -> {
                    if (hold.entry.keepUntil() < now) {
                        gone(hold);
                        return true;
                    }
                    return false;
                });
                return mine.isEmpty();
            });
            compact();
        }

        void clear() {
            byUid.clear();
            order.clear();
            count = 0;
        }

        private void gone(Hold hold) {
            hold.gone = true;
            count--;
        }

        private void compact() {
            if (order.size() > 2L * count + COMPACT_SLACK) {
                order.removeIf(hold -> hold.gone);
            }
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
