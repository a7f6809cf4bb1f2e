package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class PusherFramesTest {

    /** The payload as the server writes it into a Pusher message: a JSON string, its quotes escaped. */
    private static String asString(String json) {
        StringBuilder b = new StringBuilder();
        Json.string(b, json);
        return b.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void decodesThePayloadInsideAPusherMessageDataString() {
        String data = Payload.encode(7, 987_654_321L, 1_712_345_678_901_234L, 100);
        // the server's frame (PusherWebSocket): event, channel, then data as a string
        String frame = "{\"event\":\"bench\",\"channel\":\"bench-all\",\"data\":" + asString(data) + "}";
        assertTrue(frame.contains("\"data\":\"{\\\"g\\\":7,\\\"s\\\":987654321,"), frame);
        byte[] b = bytes("xx" + frame + "yy");
        Payload.Decoded d = new Payload.Decoded();
        assertTrue(Payload.decodePusher(b, 2, b.length - 2, d));
        assertEquals(7, d.generator);
        assertEquals(987_654_321L, d.seq);
        assertEquals(1_712_345_678_901_234L, d.sentMicros);
        assertEquals(PusherFrames.Kind.MESSAGE, PusherFrames.kind(b, 2, b.length - 2));
    }

    @Test
    void aMessageWithoutTheChannelDecodesToo() {
        // what is published to all, or to the session's uid, arrives without "channel"
        byte[] b = bytes("{\"event\":\"bench\",\"data\":" + asString(Payload.encode(0, 3, 4, 60)) + "}");
        Payload.Decoded d = new Payload.Decoded();
        assertTrue(Payload.decodePusher(b, 0, b.length, d));
        assertEquals(3, d.seq);
        assertEquals(4, d.sentMicros);
    }

    @Test
    void eachDecoderReadsOnlyItsOwnForm() {
        String data = Payload.encode(1, 2, 3, 80);
        byte[] pusher = bytes("{\"event\":\"bench\",\"channel\":\"c\",\"data\":" + asString(data) + "}");
        byte[] ws = bytes("{\"type\":\"message\",\"id\":\"a-1\",\"event\":\"bench\",\"data\":" + data + ",\"ts\":1}");
        Payload.Decoded d = new Payload.Decoded();
        assertFalse(Payload.decode(pusher, 0, pusher.length, d), "pushgate's decoder on a Pusher frame");
        assertFalse(Payload.decodePusher(ws, 0, ws.length, d), "Pusher's decoder on a /ws frame");
        // another app's message on the channel, and a payload cut short before the time
        byte[] foreign = bytes("{\"event\":\"order\",\"channel\":\"c\",\"data\":\"{\\\"id\\\":5}\"}");
        assertFalse(Payload.decodePusher(foreign, 0, foreign.length, d));
        byte[] cut = bytes("{\"event\":\"bench\",\"data\":\"{\\\"g\\\":1,\\\"s\\\":2,\\\"t\\\":");
        assertFalse(Payload.decodePusher(cut, 0, cut.length, d));
    }

    @Test
    void tellsTheProtocolsFramesFromMessages() {
        assertKind(PusherFrames.Kind.ESTABLISHED,
                "{\"event\":\"pusher:connection_established\",\"data\":\"{\\\"socket_id\\\":\\\"1.2\\\",\\\"activity_timeout\\\":120}\"}");
        assertKind(PusherFrames.Kind.SUBSCRIBED,
                "{\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":\"orders\",\"data\":\"{}\"}");
        assertKind(PusherFrames.Kind.PING, "{\"event\":\"pusher:ping\",\"data\":\"{}\"}");
        assertKind(PusherFrames.Kind.ERROR, "{\"event\":\"pusher:error\",\"data\":{\"code\":4009,\"message\":\"no\"}}");
        assertKind(PusherFrames.Kind.ERROR,
                "{\"event\":\"pusher:subscription_error\",\"channel\":\"private-x\",\"data\":{\"type\":\"AuthError\",\"status\":401}}");
        // other protocol events are not messages, even though no case handles them
        assertKind(PusherFrames.Kind.OTHER, "{\"event\":\"pusher_internal:member_added\",\"channel\":\"presence-r\",\"data\":\"{}\"}");
        assertKind(PusherFrames.Kind.OTHER, "{\"event\":\"pusher:pong\",\"data\":\"{}\"}");
        assertKind(PusherFrames.Kind.MESSAGE, "{\"event\":\"bench\",\"channel\":\"orders\",\"data\":\"x\"}");
        // an event named like a protocol one but longer is not it
        assertKind(PusherFrames.Kind.OTHER, "{\"event\":\"pusher:pingpong\",\"data\":\"{}\"}");
        assertKind(PusherFrames.Kind.OTHER, "[]");
    }

    private static void assertKind(PusherFrames.Kind kind, String frame) {
        byte[] b = bytes(frame);
        assertEquals(kind, PusherFrames.kind(b, 0, b.length), frame);
    }

    @Test
    void subscribesAsPusherJsDoes() {
        assertEquals("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"bench-all\"}}", PusherFrames.subscribe("bench-all"));
        assertThrows(IllegalArgumentException.class, () -> PusherFrames.subscribe("a\"b"));
        assertEquals("/app/k1?protocol=7&client=pushgate-bench&version=1", PusherFrames.path("k1"));
    }
}
