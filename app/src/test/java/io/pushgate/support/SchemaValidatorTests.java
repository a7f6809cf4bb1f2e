package io.pushgate.support;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaValidatorTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final SchemaValidator VALIDATOR = new SchemaValidator(JSON.readTree("""
            {"components":{"schemas":{
              "Page":{"type":"object","additionalProperties":false,"required":["count","uids","next"],
                "properties":{"count":{"type":"integer","minimum":0},
                              "uids":{"type":"array","items":{"$ref":"#/components/schemas/Name"}},
                              "next":{"type":["string","null"]},
                              "kind":{"enum":["a","b"]},
                              "type":{"const":"page"}}},
              "Name":{"type":"string","minLength":1,"pattern":"^\\\\S+$"},
              "To":{"oneOf":[{"type":"object","required":["uid"]},{"type":"object","required":["all"]}]}
            }}}"""));

    private static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    @Test
    void acceptsAValidValueIncludingNullWhereTheTypeAllowsIt() {
        assertThat(VALIDATOR.validate("#/components/schemas/Page",
                json("{\"count\":2,\"uids\":[\"a\",\"b\"],\"next\":null,\"kind\":\"a\",\"type\":\"page\"}"))).isEmpty();
        assertThat(VALIDATOR.validate("#/components/schemas/Page", json("{\"count\":2,\"uids\":[],\"next\":\"b\"}")))
                .isEmpty();
    }

    @Test
    void rejectsAMissingRequiredMember() {
        assertThat(VALIDATOR.validate("#/components/schemas/Page", json("{\"count\":2,\"uids\":[]}")))
                .singleElement().asString().contains("'next'", "missing");
    }

    @Test
    void rejectsAWrongType() {
        assertThat(VALIDATOR.validate("#/components/schemas/Page", json("{\"count\":\"2\",\"uids\":[],\"next\":null}")))
                .singleElement().asString().contains("$.count", "integer");
        assertThat(VALIDATOR.validate("#/components/schemas/Page", json("{\"count\":1.5,\"uids\":[],\"next\":null}")))
                .singleElement().asString().contains("$.count");
        assertThat(VALIDATOR.validate("#/components/schemas/Page", json("{\"count\":1,\"uids\":[],\"next\":3}")))
                .singleElement().asString().contains("$.next");
        assertThat(VALIDATOR.validate("#/components/schemas/Page", json("[]"))).hasSize(1);
    }

    @Test
    void followsReferencesIntoItems() {
        assertThat(VALIDATOR.validate("#/components/schemas/Page", json("{\"count\":1,\"uids\":[\"ok\",7,\"a b\"],\"next\":null}")))
                .hasSize(2)
                .anySatisfy(e -> assertThat(e).contains("$.uids[1]"))
                .anySatisfy(e -> assertThat(e).contains("$.uids[2]"));
    }

    @Test
    void rejectsUndeclaredMembersValuesOutsideEnumOrConstAndBelowMinimum() {
        assertThat(VALIDATOR.validate("#/components/schemas/Page",
                json("{\"count\":-1,\"uids\":[],\"next\":null,\"extra\":1,\"kind\":\"c\",\"type\":\"other\"}")))
                .hasSize(4);
    }

    @Test
    void oneOfNeedsExactlyOneMatch() {
        assertThat(VALIDATOR.validate("#/components/schemas/To", json("{\"uid\":\"a\"}"))).isEmpty();
        assertThat(VALIDATOR.validate("#/components/schemas/To", json("{\"group\":\"a\"}"))).hasSize(1);
        assertThat(VALIDATOR.validate("#/components/schemas/To", json("{\"uid\":\"a\",\"all\":true}"))).hasSize(1);
    }

    @Test
    void refusesKeywordsItCannotCheckAndUnknownReferences() {
        assertThatThrownBy(() -> VALIDATOR.validate(json("{\"anyOf\":[]}"), json("1")))
                .hasMessageContaining("anyOf");
        assertThatThrownBy(() -> VALIDATOR.validate("#/components/schemas/Nope", json("1")))
                .hasMessageContaining("unresolvable");
    }
}
