package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void sumsSessionsOfABatchAnswer() {
        String batch = "[{\"id\":\"a-1\",\"sessions\":2,\"online\":[\"u1\"],\"offline\":[]},"
                + "{\"id\":\"a-2\",\"sessions\":0,\"online\":[],\"offline\":[\"u2\"]},{\"id\":\"a-3\",\"sessions\":13}]";
        assertEquals(15, Json.sumOf(batch, "sessions"));
    }

    @Test
    void readsTotalSessionsOfStats() {
        String stats = "{\"nodes\":[{\"node\":\"n1\",\"sessions\":7,\"uids\":3}],\"total\":{\"node\":\"total\",\"sessions\":9}}";
        assertEquals(9, Json.firstAfter(stats, "\"total\"", "sessions"));
        assertEquals(-1, Json.firstAfter(stats, "\"nope\"", "sessions"));
    }

    @Test
    void writesAFlatObject() {
        String out = new Json.Obj().put("s", "a\"b").put("n", 3).put("d", 1.5).put("nan", Double.NaN)
                .put("ok", true).putNull("x").toString();
        assertEquals("{\"s\":\"a\\\"b\",\"n\":3,\"d\":1.500,\"nan\":null,\"ok\":true,\"x\":null}", out);
    }
}
