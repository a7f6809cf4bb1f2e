package io.pushgate.codec;

import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

import io.pushgate.core.Address;
import io.pushgate.core.Message;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A message frame is written by hand ({@link JsonFrames#encode}) in exactly the bytes the Jackson
 * generator writes ({@link JsonFrames#encodeWithJackson}), for any text: the hand-written path is
 * compared with Jackson's, not with what either is believed to do. {@link JsonFramesMessageTests} pins
 * what Jackson was found to write.
 */
class JsonFramesMessagePropertyTests {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private final JsonFrames frames = new JsonFrames(MAPPER);

    @Property(tries = 3000)
    void aMessageIsWrittenAsJacksonWritesIt(@ForAll("texts") String id, @ForAll("texts") String event,
            @ForAll("data") String data, @ForAll("addresses") Address to, @ForAll long ts) {
        assertWrittenAsJacksonWritesIt(new Message(id, event, data, to, ts));
    }

    /**
     * Texts longer than Jackson's output segments (1,000 chars for strings, 2,000 for raw text), so a
     * surrogate pair or an escape falls on every side of a segment boundary.
     */
    @Property(tries = 300)
    void longTextsAreWrittenAsJacksonWritesThem(@ForAll("longTexts") String text, @ForAll("addresses") Address to) {
        assertWrittenAsJacksonWritesIt(new Message(text, text, MAPPER.writeValueAsString(text), to, 1));
        assertWrittenAsJacksonWritesIt(new Message("e-1-1", "e", "[\"" + text.replace("\\", "").replace("\"", "") + "\"]",
                new Address(to.kind(), text), 1));
    }

    private void assertWrittenAsJacksonWritesIt(Message message) {
        String jackson = outcome(() -> frames.encodeWithJackson(message).json());
        assertThat(outcome(() -> frames.encode(message).json())).as("encode").isEqualTo(jackson);
        byte[] byHand = frames.writeByHand(message);
        if (hasLoneSurrogate(message)) {
            assertThat(byHand).as("left to Jackson").isNull();
        } else {
            assertThat(byHand).as("written by hand").isNotNull();
            assertThat(hex(byHand)).as("by hand").isEqualTo(jackson);
        }
    }

    /** The frame's bytes, or the kind of failure: a message Jackson refuses must be refused alike. */
    private static String outcome(Supplier<byte[]> encode) {
        try {
            return hex(encode.get());
        } catch (RuntimeException e) {
            return e.getClass().getName();
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static boolean hasLoneSurrogate(Message m) {
        for (String s : List.of(m.id(), m.event(), m.dataJson(), m.to().name())) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Any UTF-16 text, weighted towards what JSON escapes or encodes specially. */
    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.frequencyOf(
                        Tuple.of(3, Arbitraries.strings().alpha().numeric().withChars("-_.:").ofMaxLength(3)),
                        Tuple.of(3, special()),
                        Tuple.of(1, Arbitraries.strings().all().ofMaxLength(4)),
                        Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10FFFF).map(Character::toString)))
                .list().ofMaxSize(12).map(parts -> String.join("", parts));
    }

    /** One character of those JSON escapes, encodes in 2, 3 or 4 bytes, or cannot encode. */
    private static Arbitrary<String> special() {
        return Arbitraries.oneOf(
                Arbitraries.chars().range('\u0000', '\u001F'),
                Arbitraries.of('"', '\\', '/', '\u007F', '\u0080', '\u00E9', '\u07FF', '\u0800', '\u2028', '\u2029',
                        '\uD7FF', '\uE000', '\uFEFF', '\uFFFD', '\uFFFF'),
                Arbitraries.chars().range('\uD800', '\uDFFF')).map(c -> c.toString());
    }

    @Provide
    Arbitrary<String> longTexts() {
        return Arbitraries.frequencyOf(
                        Tuple.of(6, Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(40)),
                        Tuple.of(3, Arbitraries.of("\uD83D\uDE00", "\u00E9", "\u4E2D", "\n", "\u0001", "\"", "\\")),
                        Tuple.of(1, Arbitraries.chars().range('\uD800', '\uDFFF').map(c -> c.toString())))
                .list().ofMinSize(100).ofMaxSize(400).map(parts -> String.join("", parts))
                .filter(s -> s.length() > 1000);
    }

    @Provide
    Arbitrary<Address> addresses() {
        Arbitrary<String> names = texts();
        return Arbitraries.oneOf(names.map(Address::uid), names.map(Address::group), names.map(Address::client),
                Arbitraries.just(Address.ALL));
    }

    /** Payloads as publishers send them: JSON texts of every kind, and now and then any text at all. */
    @Provide
    Arbitrary<String> data() {
        return Arbitraries.frequencyOf(
                Tuple.of(8, json(3)),
                Tuple.of(1, texts()));
    }

    private Arbitrary<String> json(int depth) {
        Arbitrary<String> scalar = Arbitraries.oneOf(
                Arbitraries.of("null", "true", "false", "0", "-0", "1e999", "-1.5E-7", "3.141592653589793238462643383279",
                        "\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\"", "\"\"", "\"\\uD800\""),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.doubles().map(String::valueOf).filter(s -> !s.contains("N") && !s.contains("I")),
                texts().map(MAPPER::writeValueAsString),
                texts().map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<String> inner = json(depth - 1);
        Arbitrary<String> space = Arbitraries.of("", " ", "\n", "\t", "\r\n ");
        Arbitrary<String> array = Combinators.combine(inner.list().ofMaxSize(4), space)
                .as((items, ws) -> "[" + ws + String.join("," + ws, items) + ws + "]");
        Arbitrary<String> member = Combinators.combine(texts().map(MAPPER::writeValueAsString), inner, space)
                .as((name, value, ws) -> name + ws + ":" + ws + value);
        Arbitrary<String> object = member.list().ofMaxSize(4).map(members -> "{" + String.join(",", members) + "}");
        return Arbitraries.frequencyOf(
                Tuple.of(3, scalar),
                Tuple.of(1, array),
                Tuple.of(1, object));
    }
}
