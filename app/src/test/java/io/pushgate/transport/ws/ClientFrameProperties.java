package io.pushgate.transport.ws;

import java.nio.charset.StandardCharsets;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client frame parser takes anything a client can send: every input gives a frame with a type or a
 * {@link ClientFrame.BadFrame} (an error reply with a stable code), never another exception, which
 * would escape to the connection's event loop and end the connection without a word.
 */
class ClientFrameProperties {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final List<String> CODES = List.of("bad_json", "bad_frame");

    @Property(tries = 2000)
    void anyTextParsesOrIsABadFrame(@ForAll String text) {
        assertParsesOrRefuses(text);
    }

    /** Bytes as they come off the wire, decoded the way the connection decodes a valid text frame. */
    @Property(tries = 1000)
    void anyBytesParseOrAreABadFrame(@ForAll byte[] bytes) {
        assertParsesOrRefuses(new String(bytes, StandardCharsets.UTF_8));
    }

    /** Near-JSON: the tokens of real frames in any order, so the parser gets past its first character. */
    @Property(tries = 3000)
    void jsonLikeTextParsesOrIsABadFrame(@ForAll("jsonLike") String text) {
        assertParsesOrRefuses(text);
    }

    /** Nesting far deeper than any frame: refused by the parser's limits, not a stack overflow. */
    @Property(tries = 20)
    void deeplyNestedDataIsABadFrameOrParses(@ForAll("depths") int depth) {
        String data = "[".repeat(depth) + "]".repeat(depth);
        assertParsesOrRefuses("{\"type\":\"publish\",\"group\":\"g\",\"data\":" + data + "}");
        assertParsesOrRefuses("{".repeat(depth));
    }

    @Provide
    Arbitrary<Integer> depths() {
        return Arbitraries.integers().between(1, 100_000);
    }

    @Provide
    Arbitrary<String> jsonLike() {
        Arbitrary<String> token = Arbitraries.oneOf(
                Arbitraries.of("{", "}", "[", "]", ":", ",", "\"", "\\", "null", "true", "false", " ",
                        "\"type\"", "\"ref\"", "\"group\"", "\"event\"", "\"data\"", "\"token\"", "\"cursor\"",
                        "\"auth\"", "\"publish\"", "\"resume\"", "\"ping\"", "1e400", "-0", "9223372036854775808",
                        "1.5", "\"\\u0000\"", "\"\\ud800\"", "/*", "*/", "//", "NaN", "'x'"),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.strings().ofMaxLength(8).map(s -> MAPPER.writeValueAsString(s)));
        return token.list().ofMaxSize(40).map(tokens -> String.join("", tokens));
    }

    private static void assertParsesOrRefuses(String text) {
        try {
            ClientFrame frame = ClientFrame.parse(MAPPER, text);
            assertThat(frame.type()).isNotNull();
        } catch (ClientFrame.BadFrame bad) {
            assertThat(bad.code).isIn(CODES);
            assertThat(bad.getMessage()).isNotBlank();
        }
    }
}
