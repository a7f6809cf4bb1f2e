package io.pushgate.security;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import io.pushgate.core.ClientClaims;
import io.pushgate.web.Signatures;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.within;

/** What a backend's 200 answer to the connect proxy grants, and which answers are not valid (502). */
class ConnectAnswerTests {

    private final BackendConnectProxy proxy = proxy(Duration.ZERO);

    private static BackendConnectProxy proxy(Duration defaultTtl) {
        return new BackendConnectProxy(URI.create("http://127.0.0.1:1/connect"), Duration.ofSeconds(1), 1, defaultTtl,
                new Signatures("test-events-secret-0123456789"), JsonMapper.builder().build());
    }

    @AfterEach
    void close() {
        proxy.close();
    }

    private ClientClaims parse(BackendConnectProxy proxy, String json) throws BackendConnectProxy.InvalidAnswer {
        return proxy.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theAnswerGivesUidGroupsPublishAndDataAsCompactJson() throws Exception {
        ClientClaims claims = parse(proxy, """
                {"uid": "u1", "groups": ["a", "b"], "publish": ["a"],
                 "data": { "name": "Ann", "tags": [1, 2], "nested": {"x": null} }, "other": true}""");
        assertThat(claims.uid()).isEqualTo("u1");
        assertThat(claims.groups()).containsExactlyInAnyOrder("a", "b");
        assertThat(claims.publish()).containsExactly("a");
        assertThat(claims.data()).isEqualTo("{\"name\":\"Ann\",\"tags\":[1,2],\"nested\":{\"x\":null}}");
    }

    @Test
    void onlyTheUidIsRequiredAndAnIntegerUidIsItsDigits() throws Exception {
        ClientClaims claims = parse(proxy, "{\"uid\": 42}");
        assertThat(claims.uid()).isEqualTo("42");
        assertThat(claims.groups()).isEmpty();
        assertThat(claims.publish()).isEmpty();
        assertThat(claims.data()).isNull();
        assertThat(claims.expiresAt()).isEqualTo(BackendConnectProxy.NEVER); // no ttl, no default: no expiry
    }

    @Test
    void aTtlInTheAnswerOrTheDefaultSetsTheExpiry() throws Exception {
        assertThat(parse(proxy, "{\"uid\":\"u\",\"ttl\":3600}").expiresAt())
                .isCloseTo(Instant.now().plusSeconds(3600), within(5, java.time.temporal.ChronoUnit.SECONDS));
        try (BackendConnectProxy withDefault = proxy(Duration.ofMinutes(10))) {
            assertThat(parse(withDefault, "{\"uid\":\"u\"}").expiresAt())
                    .isCloseTo(Instant.now().plusSeconds(600), within(5, java.time.temporal.ChronoUnit.SECONDS));
            assertThat(parse(withDefault, "{\"uid\":\"u\",\"ttl\":0}").expiresAt()).isEqualTo(BackendConnectProxy.NEVER);
        }
    }

    @Test
    void dataUpTo4096BytesIsTakenAndOneByteMoreIsNot() throws Exception {
        String fits = "{\"s\":\"" + "x".repeat(4096 - 8) + "\"}";
        assertThat(fits.getBytes(StandardCharsets.UTF_8)).hasSize(4096);
        assertThat(parse(proxy, "{\"uid\":\"u\",\"data\":" + fits + "}").data()).isEqualTo(fits);
        String over = "{\"s\":\"" + "x".repeat(4096 - 7) + "\"}";
        assertThatExceptionOfType(BackendConnectProxy.InvalidAnswer.class)
                .isThrownBy(() -> parse(proxy, "{\"uid\":\"u\",\"data\":" + over + "}"))
                .withMessageContaining("over 4096");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "not json",
            "[]",
            "\"u1\"",
            "{}",
            "{\"uid\":null}",
            "{\"uid\":\"\"}",
            "{\"uid\":\"has space\"}",
            "{\"uid\":1.5}",
            "{\"uid\":[\"u\"]}",
            "{\"uid\":\"u\",\"groups\":\"a\"}",
            "{\"uid\":\"u\",\"groups\":[\"bad name\"]}",
            "{\"uid\":\"u\",\"publish\":[1]}",
            "{\"uid\":\"u\",\"data\":[1,2]}",
            "{\"uid\":\"u\",\"data\":\"text\"}",
            "{\"uid\":\"u\",\"ttl\":-1}",
            "{\"uid\":\"u\",\"ttl\":\"60\"}"
    })
    void anAnswerThatIsNotValidIsRefused(String answer) {
        assertThatExceptionOfType(BackendConnectProxy.InvalidAnswer.class).isThrownBy(() -> parse(proxy, answer));
    }
}
