package io.pushgate.security;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Key ids: what logs and rate limits name a key by, as docs/operations.md tells operators to compute them. */
class ApiKeysTests {

    static final String KEY = "test-api-key-0123456789";
    /** {@code printf %s test-api-key-0123456789 | sha256sum | cut -c1-8} */
    static final String KEY_ID = "47bd0e2f";

    @Test
    void aKeysIdIsTheFirstEightHexDigitsOfItsSha256() {
        assertThat(ApiKeys.id(KEY)).isEqualTo(KEY_ID);
    }

    @Test
    void aPresentedKeyIsNamedByItsIdAndAnyOtherByNothing() {
        ApiKeys keys = new ApiKeys(List.of("another-key-0123456789", KEY, KEY));

        assertThat(keys.idOf(KEY)).isEqualTo(KEY_ID);
        assertThat(keys.matches(KEY)).isTrue();
        assertThat(keys.idOf(KEY + " ")).isNull();
        assertThat(keys.idOf("")).isNull();
        assertThat(keys.ids()).as("each key once").containsExactly(ApiKeys.id("another-key-0123456789"), KEY_ID);
    }

    @Test
    void shortKeysAreRefused() {
        assertThatThrownBy(() -> new ApiKeys(List.of("too-short"))).isInstanceOf(IllegalArgumentException.class);
    }
}
