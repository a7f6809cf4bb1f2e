package io.pushgate.bench;

/**
 * The sequence numbers one session has received: a set of longs stored as 64-bit words keyed by
 * {@code seq >>> 6} in an open-addressing table, so a dense stream (broadcast) costs ~16 bytes per 64
 * sequence numbers and a sparse one ~16 bytes per number. Not thread-safe: one session, one event loop.
 */
final class SeqSet {

    private static final long EMPTY = Long.MIN_VALUE;

    private long[] keys;
    private long[] words;
    private int used;
    private long size;

    SeqSet() {
        this(8);
    }

    SeqSet(int capacity) {
        int cap = Integer.highestOneBit(Math.max(4, capacity - 1)) << 1;
        keys = new long[cap];
        words = new long[cap];
        java.util.Arrays.fill(keys, EMPTY);
    }

    /** Adds {@code seq} (≥ 0); false when it was already there (a duplicate delivery). */
    boolean add(long seq) {
        long block = seq >>> 6;
        long bit = 1L << (seq & 63);
        int slot = find(block);
        if (keys[slot] == EMPTY) {
            keys[slot] = block;
            words[slot] = bit;
            size++;
            if (++used * 4 >= keys.length * 3) {
                grow();
            }
            return true;
        }
        if ((words[slot] & bit) != 0) {
            return false;
        }
        words[slot] |= bit;
        size++;
        return true;
    }

    boolean contains(long seq) {
        int slot = find(seq >>> 6);
        return keys[slot] != EMPTY && (words[slot] & (1L << (seq & 63))) != 0;
    }

    long size() {
        return size;
    }

    private int find(long block) {
        int mask = keys.length - 1;
        int slot = (int) (mix(block) & mask);
        while (keys[slot] != EMPTY && keys[slot] != block) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldWords = words;
        keys = new long[oldKeys.length * 2];
        words = new long[oldWords.length * 2];
        java.util.Arrays.fill(keys, EMPTY);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int slot = find(oldKeys[i]);
                keys[slot] = oldKeys[i];
                words[slot] = oldWords[i];
            }
        }
    }

    private static long mix(long x) {
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        return x;
    }
}
