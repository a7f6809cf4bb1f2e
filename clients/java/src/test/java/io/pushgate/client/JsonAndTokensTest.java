package io.pushgate.client;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonAndTokensTest {

    @Test
    void writesTheShapesItTakesAndRefusesOthers() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("s", "q\"\\\n\u0001é");
        value.put("n", List.of(1, 2.5, new BigDecimal("1e999")));
        value.put("b", new boolean[] {true, false});
        value.put("null", null);
        value.put("raw", Json.raw("{\"x\":[]}"));

        assertThat(Json.write(value)).isEqualTo(
                "{\"s\":\"q\\\"\\\\\\n\\u0001é\",\"n\":[1,2.5,1E+999],\"b\":[true,false],\"null\":null,\"raw\":{\"x\":[]}}");
        assertThatThrownBy(() -> Json.write(new Object())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsWhatItWritesWithoutLosingDigits() {
        Object read = Json.read(" {\"a\":[1,-2,12345678901234567890,0.1,true,null,\"\\u00e9\\/\"],\"o\":{}} ");
        assertThat(read).isEqualTo(Map.of("a", Arrays.asList(1L, -2L, new BigInteger("12345678901234567890"),
                new BigDecimal("0.1"), true, null, "é/"), "o", Map.of()));
        assertThatThrownBy(() -> Json.read("{\"a\":1} x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.read("[1,")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signsAnHs256TokenWithTheClaimsTheServerReads() throws Exception {
        String secret = "0123456789abcdef0123456789abcdef";
        String token = ClientTokens.sign(secret, "kid-1", "42", Duration.ofMinutes(10), List.of("room"), List.of("chat"),
                Map.of("aud", "pushgate"));

        String[] parts = token.split("\\.");
        assertThat(parts).hasSize(3);
        assertThat(Json.read(decode(parts[0]))).isEqualTo(Map.of("alg", "HS256", "typ", "JWT", "kid", "kid-1"));
        @SuppressWarnings("unchecked")
        Map<String, Object> claims = (Map<String, Object>) Json.read(decode(parts[1]));
        assertThat(claims).containsEntry("sub", "42").containsEntry("groups", List.of("room"))
                .containsEntry("publish", List.of("chat")).containsEntry("aud", "pushgate");
        long exp = (Long) claims.get("exp");
        assertThat(exp - Instant.now().getEpochSecond()).isBetween(590L, 600L);

        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(Base64.getUrlDecoder().decode(parts[2])).isEqualTo(expected);
        assertThat(parts[2]).doesNotContain("=");
    }

    @Test
    void refusesASecretTheServerWouldRefuse() {
        assertThatThrownBy(() -> ClientTokens.sign("short", "u", Duration.ofMinutes(1), List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
    }

    private static String decode(String part) {
        return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
    }
}
