package io.pushgate.core;

import java.util.List;


/**
 * Keeps each stream's recent messages and answers "what came after this cursor".
 *
 * <p>Retention: a message is kept for the window, or for its {@code ttl} when that is longer, but a
 * stream never holds more than its message limit; the oldest go first. A cursor older than the window,
 * from another epoch, or behind an evicted message gets {@link Replay#RESET}.
 *
 * <p>The node appends from several threads at once, outside its sequence lock, so an entry may arrive
 * shortly after a later one of the same stream; an implementation keeps each stream in sequence order
 * (see {@code docs/cores.md}), and the node reads only up to a position whose entries are all appended.
 * Implementations must be non-blocking and thread-safe. In a cluster every node applies every publish
 * in the cluster's one order, so each node's in-memory history is the same and resuming stays a local
 * read; the broker's log in Redis is where a node that starts takes it from.
 */
public interface History {

    /** The identity of this history; part of every cursor. */
    String epoch();

    /**
     * Joins a cluster's history: takes its epoch (forgetting what was kept under another one) and
     * notes that entries up to {@code completeAfter} may be missing here, so a cursor from before that
     * resets rather than silently skip them.
     */
    void adopt(String epoch, long completeAfter);

    /** How long messages are kept at least, and how old a cursor may be to resume. */
    java.time.Duration window();

    /** Drops what has expired; the node calls it every few seconds. */
    void sweep();

    void append(Address stream, Entry entry);

    /**
     * Entries after {@code after} in any of {@code streams}, merged in sequence order, each sequence
     * number once (the first stream listed wins), at most {@code limit}.
     */
    Replay readAfter(List<Address> streams, Cursor after, int limit);

    /**
     * Holds an entry for a uid that had no session when it was published with a ttl. Holds are bounded
     * per uid and per node; past a bound the oldest hold goes first.
     */
    void holdForOffline(String uid, Entry entry);

    /** Takes the entries held for the uid whose ttl has not run out, oldest first, and forgets them. */
    List<Entry> takeOffline(String uid);

    /** Forgets the entries held for the uid up to {@code upToSeq} (another node delivered them); later ones stay as they were. */
    void dropOffline(String uid, long upToSeq);

    /** Messages held now across all streams, for metrics; 0 from a history that does not count them. */
    default long size() {
        return 0;
    }
}
