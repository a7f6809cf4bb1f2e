package io.pushgate.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class RawJsonTests {

    final JsonMapper mapper = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).build()).build()).build();

    private String data(String document) {
        String fromBytes = RawJson.text(mapper, RawJson.read(mapper, document.getBytes(StandardCharsets.UTF_8)).get("data"));
        String fromText = RawJson.text(mapper, RawJson.read(mapper, document).get("data"));
        assertThat(fromText).as("the same from text as from bytes").isEqualTo(fromBytes);
        return fromBytes;
    }

    @Test
    void everyKindOfValueIsKeptAsWritten() {
        assertThat(data("{\"data\":\"x \\u00e9\\\"y\"}")).isEqualTo("\"x \\u00e9\\\"y\"");
        assertThat(data("{\"data\":1e999}")).isEqualTo("1e999");
        assertThat(data("{\"data\" : -0.10 , \"a\":1}")).isEqualTo("-0.10");
        assertThat(data("{\"data\":true}")).isEqualTo("true");
        assertThat(data("{\"data\":null}")).isEqualTo("null");
        assertThat(data("{\"a\":[1],\"data\":[ 18446744073709551617 , {\"k\" : \"v w\"} ]\n}")).isEqualTo("[18446744073709551617,{\"k\":\"v w\"}]");
        assertThat(data("{\"data\":\"日本\"}")).isEqualTo("\"日本\"");
    }

    @Test
    void theOtherMembersAreAnOrdinaryTree() {
        JsonNode body = RawJson.read(mapper, "{\"to\":{\"uids\":[\"u\"]},\"ttl\":18446744073709551617,\"n\":1.5,\"data\":{}}");
        assertThat(body.path("to").path("uids").get(0).asString()).isEqualTo("u");
        assertThat(body.path("ttl").isIntegralNumber()).isTrue();
        assertThat(body.path("ttl").canConvertToLong()).isFalse();
        assertThat(body.path("n").isIntegralNumber()).isFalse();
    }

    @Test
    void eachItemOfABatchKeepsItsData() {
        JsonNode batch = RawJson.read(mapper, "[{\"data\":1.10},{\"data\":[2.20]}]");
        assertThat(RawJson.text(mapper, batch.get(0).get("data"))).isEqualTo("1.10");
        assertThat(RawJson.text(mapper, batch.get(1).get("data"))).isEqualTo("[2.20]");
    }

    @Test
    void malformedTrailingOrTooDeepDocumentsAreRefused() {
        assertThatExceptionOfType(JacksonException.class).isThrownBy(() -> RawJson.read(mapper, "{\"data\":[1,}"));
        assertThatExceptionOfType(JacksonException.class).isThrownBy(() -> RawJson.read(mapper, "{\"data\":1} {}"));
        assertThatExceptionOfType(JacksonException.class).isThrownBy(() -> RawJson.read(mapper, ""));
        assertThatExceptionOfType(JacksonException.class).isThrownBy(() -> RawJson.read(mapper, "{\"data\":" + "[".repeat(8) + "]".repeat(8) + "}"))
                .satisfies(e -> assertThat(RawJson.isLimit(e)).isTrue())
                .satisfies(e -> assertThat(RawJson.reason(e, mapper)).isEqualTo("nested deeper than 8 levels"));
        assertThat(data("{\"data\":" + "[".repeat(7) + "]".repeat(7) + "}")).isEqualTo("[".repeat(7) + "]".repeat(7));
    }

    private String malformed(String document) {
        try {
            RawJson.read(mapper, document.getBytes(StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            String fromBytes = RawJson.malformed(e);
            return fromBytes;
        }
        throw new AssertionError("accepted: " + document);
    }

    @Test
    void aMalformedDocumentIsDescribedWithItsPlaceAndWithoutTheParsersInternals() {
        assertThat(malformed("{\"data\":x}")).isEqualTo("unrecognized token 'x' at line 1, column 9");
        assertThat(malformed("{\"to\": @}")).isEqualTo("unexpected character '@' at line 1, column 8 (expected a value)");
        assertThat(malformed("{\"data\":\n [1,}")).isEqualTo("unexpected character '}' at line 2, column 5 (expected a value)");
        assertThat(malformed("{\"data\":1")).isEqualTo("unexpected end of input at line 1, column 10 (expected close marker for Object)");
        assertThat(malformed("{'a':1}")).isEqualTo("unexpected character ''' at line 1, column 2 (was expecting double-quote to start property name)");
        assertThat(malformed("")).isEqualTo("no JSON value at line 1, column 1");
        for (String document : new String[] {"{\"data\":x}", "{\"to\": @}", "{\"data\":1", "{\"data\":1} {}", "[1,]", "{'a':1}"}) {
            assertThat(malformed(document)).as(document)
                    .doesNotContain("Source", "REDACTED", "StreamReadFeature", "JSON String", "(code ");
        }
    }

    @Test
    void anObjectSplitsIntoOneMemberAndTheRestAsWritten() {
        RawJson.Split split = RawJson.objectWithout(mapper, "{ \"a\" : 1e999 , \"uid\":\"u\", \"b\":{\"c\" : \"d e\"}}", "uid");
        assertThat(split).isNotNull();
        assertThat(split.member().asString()).isEqualTo("u");
        assertThat(split.rest()).isEqualTo("{\"a\":1e999,\"b\":{\"c\":\"d e\"}}");
        assertThat(RawJson.objectWithout(mapper, "[1]", "uid")).isNull();
        assertThat(RawJson.objectWithout(mapper, "{\"a\":1}", "uid").member()).isNull();
    }
}
