package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Reading the server's cursors and message streams from frames. */
class CursorsTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsSequenceAndTimeOfACursor() {
        assertEquals(Long.parseLong("1b", 36), Cursors.seq("k2v9q-1b-mbx1c9k0"));
        assertEquals(Long.parseLong("mbx1c9k0", 36), Cursors.ts("k2v9q-1b-mbx1c9k0"));
        assertEquals(-1, Cursors.seq("nonsense"));
        assertEquals(-1, Cursors.ts(null));
        assertEquals(-1, Cursors.seq("a-!-b"));
    }

    @Test
    void findsIdsCursorsAndStreams() {
        byte[] message = bytes("{\"type\":\"message\",\"id\":\"e1-2s-mbx1c9k0\",\"event\":\"bench\",\"data\":{\"g\":0},"
                + "\"to\":{\"group\":\"g1\"},\"ts\":1}");
        assertEquals("e1-2s-mbx1c9k0", Cursors.string(message, 0, message.length, Cursors.ID));
        assertEquals(1, Cursors.stream(message, 0, message.length));
        byte[] uid = bytes("{\"type\":\"message\",\"id\":\"e1-1-1\",\"to\":{\"uid\":\"u1\"}}");
        assertEquals(0, Cursors.stream(uid, 0, uid.length));
        byte[] all = bytes("{\"type\":\"message\",\"id\":\"e1-1-1\",\"to\":{\"all\":true}}");
        assertEquals(2, Cursors.stream(all, 0, all.length));
        byte[] ping = bytes("{\"type\":\"ping\",\"cursor\":\"e1-5-9\"}");
        assertEquals("e1-5-9", Cursors.string(ping, 0, ping.length, Cursors.CURSOR));
        assertEquals(-1, Cursors.stream(ping, 0, ping.length));
        byte[] cut = bytes("{\"type\":\"ping\",\"cursor\":\"e1-5");
        assertNull(Cursors.string(cut, 0, cut.length, Cursors.CURSOR));
    }
}
