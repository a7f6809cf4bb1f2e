package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class PayloadTest {

    @Test
    void encodesToTheRequestedSize() {
        assertEquals(100, Payload.encode(3, 12345, 1_712_345_678_901_234L, 100).length());
        assertEquals(1000, Payload.encode(3, 12345, 1_712_345_678_901_234L, 1000).length());
        // smaller than the numbers themselves: no padding, still valid
        assertTrue(Payload.encode(3, 12345, 1_712_345_678_901_234L, 10).endsWith(",\"p\":\"\"}"));
    }

    @Test
    void decodesFromAServerMessageFrame() {
        String data = Payload.encode(7, 987_654_321L, 1_712_345_678_901_234L, 100);
        // the frame the server writes (JsonFrames): the data is copied in after "data":
        String frame = "{\"type\":\"message\",\"id\":\"abc-1\",\"event\":\"bench\",\"data\":" + data
                + ",\"to\":{\"uid\":\"u5\"},\"ts\":1712345678901}";
        byte[] bytes = ("xx" + frame + "yy").getBytes(StandardCharsets.UTF_8);
        Payload.Decoded d = new Payload.Decoded();
        assertTrue(Payload.decode(bytes, 2, bytes.length - 2, d));
        assertEquals(7, d.generator);
        assertEquals(987_654_321L, d.seq);
        assertEquals(1_712_345_678_901_234L, d.sentMicros);
    }

    @Test
    void doesNotMistakeOtherFramesOrFieldsOutsideData() {
        Payload.Decoded d = new Payload.Decoded();
        byte[] welcome = "{\"type\":\"welcome\",\"clientId\":\"x-1\",\"uid\":\"u1\",\"heartbeat\":25000,\"groups\":[]}"
                .getBytes(StandardCharsets.UTF_8);
        assertFalse(Payload.decode(welcome, 0, welcome.length, d));
        byte[] foreignData = "{\"type\":\"message\",\"data\":{\"text\":\"hello\"},\"ts\":1}".getBytes(StandardCharsets.UTF_8);
        assertFalse(Payload.decode(foreignData, 0, foreignData.length, d));
        // cut short: the frame ends before the time
        String data = Payload.encode(1, 2, 3, 50);
        byte[] cut = ("{\"data\":" + data).getBytes(StandardCharsets.UTF_8);
        assertFalse(Payload.decode(cut, 0, cut.length - data.length() + 12, d));
    }
}
