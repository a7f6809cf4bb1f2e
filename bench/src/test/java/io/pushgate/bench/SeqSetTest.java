package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class SeqSetTest {

    @Test
    void tellsFirstDeliveriesFromDuplicates() {
        SeqSet s = new SeqSet();
        assertTrue(s.add(0));
        assertTrue(s.add(63));
        assertTrue(s.add(64));
        assertFalse(s.add(63));
        assertTrue(s.contains(64));
        assertFalse(s.contains(65));
        assertEquals(3, s.size());
    }

    @Test
    void agreesWithAHashSetOnDenseAndSparseStreams() {
        Random random = new Random(42);
        SeqSet s = new SeqSet();
        Set<Long> reference = new HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            long seq = i % 2 == 0 ? random.nextInt(5_000) : random.nextInt(50_000_000);
            assertEquals(reference.add(seq), s.add(seq));
        }
        assertEquals(reference.size(), s.size());
        for (long seq : reference) {
            assertTrue(s.contains(seq));
        }
    }
}
