package io.pushgate.codec;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.pushgate.core.Address;
import io.pushgate.core.Message;

import org.junit.jupiter.api.Test;

import tools.jackson.core.JacksonException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonWriteFeature;
import tools.jackson.core.util.JsonpCharacterEscapes;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What Jackson 3's generator was found to write for the characters JSON treats specially, pinned as
 * text: the hand-written message frame writes the same ({@link JsonFramesMessagePropertyTests} compares
 * the two for any text).
 */
class JsonFramesMessageTests {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private final JsonFrames frames = new JsonFrames(MAPPER);

    private String encoded(String id, String event, String data, Address to, long ts) {
        Message message = new Message(id, event, data, to, ts);
        byte[] byHand = frames.writeByHand(message);
        assertThat(byHand).as("written by hand").isNotNull().isEqualTo(frames.encodeWithJackson(message).json());
        return new String(frames.encode(message).json(), StandardCharsets.UTF_8);
    }

    @Test
    void controlCharactersAreEscapedShortWhereJsonHasALetterElseAsUpperCaseHex() {
        StringBuilder controls = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            controls.append(c);
        }
        assertThat(encoded(controls.toString(), "e", "0", Address.ALL, 0)).isEqualTo("{\"type\":\"message\",\"id\":\""
                + "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r\\u000E\\u000F"
                + "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
                + "\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F"
                + "\",\"event\":\"e\",\"data\":0,\"to\":{\"all\":true},\"ts\":0}");
    }

    @Test
    void quoteAndBackslashAreEscapedAndSlashDelAndNonAsciiAreNot() {
        assertThat(encoded("a\"b\\c/d\u007Fe", "\u00E9\u2028\u4E2D\uD83D\uDE00", "1", Address.uid("\"\\"), 1))
                .isEqualTo("{\"type\":\"message\",\"id\":\"a\\\"b\\\\c/d\u007Fe\",\"event\":\"\u00E9\u2028\u4E2D\uD83D\uDE00\","
                        + "\"data\":1,\"to\":{\"uid\":\"\\\"\\\\\"},\"ts\":1}");
        assertThat(frames.encode(new Message("i", "\uD83D\uDE00", "1", Address.ALL, 1)).json()).as("a pair is one 4-byte sequence")
                .containsSequence((byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80);
    }

    @Test
    void dataIsCopiedAsItIsControlsAndEscapesIncluded() {
        assertThat(encoded("i", "e", "{\"s\":\"\\u00e9\\n\u00E9\u0001\"}", Address.group("g"), 2))
                .isEqualTo("{\"type\":\"message\",\"id\":\"i\",\"event\":\"e\",\"data\":{\"s\":\"\\u00e9\\n\u00E9\u0001\"},"
                        + "\"to\":{\"group\":\"g\"},\"ts\":2}");
    }

    /** Jackson writes a long string in segments of 1,000 chars and long raw text in 2,000: none splits a pair. */
    @Test
    void aPairAcrossJacksonsSegmentBoundariesIsStillOneSequence() {
        for (int at = 990; at < 2010; at = at == 1010 ? 1990 : at + 1) {
            String text = "x".repeat(at) + "\uD83D\uDE00" + "\u00E9".repeat(20);
            String frame = encoded(text, "e", "\"" + text + "\"", Address.uid(text), 5);
            assertThat(frame).isEqualTo("{\"type\":\"message\",\"id\":\"" + text + "\",\"event\":\"e\",\"data\":\"" + text
                    + "\",\"to\":{\"uid\":\"" + text + "\"},\"ts\":5}");
        }
    }

    @Test
    void tsIsAnyLongInDecimal() {
        for (long ts : new long[] {0, 7, -1, 10, 1767225600000L, Long.MAX_VALUE, Long.MIN_VALUE}) {
            assertThat(encoded("i", "e", "0", Address.client("c"), ts)).endsWith(",\"to\":{\"client\":\"c\"},\"ts\":" + ts + "}");
        }
    }

    /** Jackson escapes a lone surrogate in a string as upper-case hex; such a message is left to it. */
    @Test
    void aLoneSurrogateInAStringIsWrittenByJacksonAsAnEscape() {
        Message message = new Message("a\uD83D", "\uDE00b", "0", Address.uid("\uD800"), 3);
        assertThat(frames.writeByHand(message)).isNull();
        assertThat(new String(frames.encode(message).json(), StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"message\","
                + "\"id\":\"a\\uD83D\",\"event\":\"\\uDE00b\",\"data\":0,\"to\":{\"uid\":\"\\uD800\"},\"ts\":3}");
    }

    /** Jackson refuses a lone surrogate in raw data, as it refused it before the hand-written path. */
    @Test
    void aLoneSurrogateInTheDataIsRefusedAsJacksonRefusesIt() {
        for (String data : List.of("\"\uD83D\"", "\"\uDE00\"", "\uD83D")) {
            Message message = new Message("i", "e", data, Address.ALL, 4);
            assertThat(frames.writeByHand(message)).isNull();
            assertThatThrownBy(() -> frames.encode(message)).isInstanceOf(JacksonException.class);
        }
    }

    /**
     * A mapper whose stream factory writes otherwise has its messages written by Jackson, as that factory
     * writes them: the hand-written path writes only the default form. (Write features set on the mapper
     * itself do not reach frames: they are written with an empty write context.)
     */
    @Test
    void aFactoryThatWritesOtherwiseHasItsMessagesWrittenByJackson() {
        Message message = new Message("\u0001/", "\u00E9", "[\"\u00E9\"]", Address.uid("\uD83D\uDE00"), 6);
        Map<String, JsonFactory> otherwise = Map.of(
                "non-ASCII escaped", JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build(),
                "slashes escaped", JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES).build(),
                "numbers as strings", JsonFactory.builder().enable(JsonWriteFeature.WRITE_NUMBERS_AS_STRINGS).build(),
                "lower-case hex", JsonFactory.builder().disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE).build(),
                "surrogates apart", JsonFactory.builder().disable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build(),
                "escaped above 0xFFFE", JsonFactory.builder().highestNonEscapedChar(0xFFFE).build(),
                "single quotes", JsonFactory.builder().quoteChar('\'').build(),
                "custom escapes", JsonFactory.builder().characterEscapes(new JsonpCharacterEscapes()).build());
        otherwise.forEach((how, factory) -> {
            JsonFrames frames = new JsonFrames(JsonMapper.builder(factory).build());
            assertThat(frames.writeByHand(message)).as("%s: by hand", how).isNull();
            assertThat(frames.encode(message).json()).as(how).isEqualTo(frames.encodeWithJackson(message).json());
        });
        JsonFrames escaping = new JsonFrames(JsonMapper.builder(otherwise.get("non-ASCII escaped")).build());
        assertThat(new String(escaping.encode(message).json(), StandardCharsets.UTF_8)).contains("\"event\":\"\\u00E9\"");
    }
}
