package io.pushgate.transport.ws;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.nimbusds.jwt.SignedJWT;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.signedWithOtherSecret;
import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

@PushgateIntegrationTest
class WebSocketAuthTests {

    /** How far past {@code exp} the server still accepts a token (HmacTokens' clock skew). */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(5);

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    /** The ways a client can present its token during the handshake. */
    enum Carrier {
        QUERY {
            @Override
            WsTestClient connect(Api api, String token) {
                return WsTestClient.connect(api.ws("token=" + token));
            }
        },
        HEADER {
            @Override
            WsTestClient connect(Api api, String token) {
                return WsTestClient.connect(api.ws(""), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token), List.of());
            }
        },
        SUBPROTOCOL {
            @Override
            WsTestClient connect(Api api, String token) {
                return WsTestClient.connect(api.ws(""), Map.of(), List.of("bearer", token));
            }
        };

        abstract WsTestClient connect(Api api, String token);
    }

    /** Tokens the server must refuse, by what is wrong with them. */
    enum BadToken {
        BAD_SIGNATURE {
            @Override
            String make(String uid) {
                return signedWithOtherSecret(uid);
            }
        },
        MALFORMED {
            @Override
            String make(String uid) {
                return "not-a-jwt";
            }
        },
        EXPIRED {
            @Override
            String make(String uid) {
                return token(uid, Duration.ofMinutes(-5), List.of(), List.of());
            }
        };

        abstract String make(String uid);
    }

    static Stream<Arguments> handshakeCarriersAndBadTokens() {
        return Stream.of(Carrier.values())
                .flatMap(carrier -> Stream.of(BadToken.values()).map(bad -> Arguments.of(carrier, bad)));
    }

    @ParameterizedTest
    @EnumSource(Carrier.class)
    void handshakeTokenYieldsWelcome(Carrier carrier) {
        String uid = uniqueUid("carrier");
        try (WsTestClient client = carrier.connect(api, token(uid, List.of("room-a", "room-b"), List.of()))) {
            assertWelcome(client.nextOfType("welcome"), uid, "room-a", "room-b");
        }
    }

    @Test
    void subprotocolCarrierGetsBearerEchoed() {
        try (WsTestClient client = Carrier.SUBPROTOCOL.connect(api, token(uniqueUid("proto")))) {
            assertThat(client.subprotocol()).isEqualTo("bearer");
        }
    }

    @Test
    void authFrameYieldsWelcome() {
        String uid = uniqueUid("frame");
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.sendJson(Map.of("type", "auth", "token", token(uid, List.of("room-a"), List.of())));

            assertWelcome(client.next(), uid, "room-a");
        }
    }

    @Test
    void authFrameWithRefGetsReplyAfterWelcome() {
        String uid = uniqueUid("frame");
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.sendJson(Map.of("type", "auth", "token", token(uid), "ref", 1));

            assertWelcome(client.next(), uid);
            JsonNode reply = client.next();
            assertThat(reply.path("type").asString()).isEqualTo("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(1);
            assertThat(reply.path("ok").asBoolean()).isTrue();
        }
    }

    @Test
    void pingBeforeAuthGetsPongAndReply() {
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.sendJson(Map.of("type", "ping", "ref", 1));

            assertThat(client.next().path("type").asString()).isEqualTo("pong");
            JsonNode reply = client.next();
            assertThat(reply.path("type").asString()).isEqualTo("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(1);
            assertThat(reply.path("ok").asBoolean()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("handshakeCarriersAndBadTokens")
    void badHandshakeTokenIsRefusedWith401(Carrier carrier, BadToken bad) {
        String token = bad.make(uniqueUid("bad"));

        assertThatExceptionOfType(WsTestClient.HandshakeRefused.class)
                .isThrownBy(() -> carrier.connect(api, token).close())
                .satisfies(refused -> assertThat(refused.status).isEqualTo(401));
    }

    @ParameterizedTest
    @EnumSource(BadToken.class)
    void badAuthFrameTokenClosesWith4401(BadToken bad) {
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.sendJson(Map.of("type", "auth", "token", bad.make(uniqueUid("bad"))));

            assertThat(client.awaitClose().code()).isEqualTo(4401);
            assertThat(client.drain()).noneMatch(f -> "welcome".equals(f.path("type").asString()));
        }
    }

    @Test
    void refusedHandshakeAnswersProblemJson() {
        WebTestClient http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();

        http.get().uri("/ws?token=" + signedWithOtherSecret(uniqueUid("bad")))
                .exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
                .expectBody().jsonPath("$.status").isEqualTo(401);
    }

    @Test
    void frameBeforeAuthIsUnauthorizedAndAuthStillWorks() {
        String uid = uniqueUid("early");
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.sendJson(Map.of("type", "join", "group", "room-a", "ref", 1));

            JsonNode reply = client.next();
            assertThat(reply.path("type").asString()).isEqualTo("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(1);
            assertThat(reply.path("ok").asBoolean()).isFalse();
            assertThat(reply.path("error").path("code").asString()).isEqualTo("unauthorized");

            client.sendJson(Map.of("type", "auth", "token", token(uid)));
            assertWelcome(client.nextOfType("welcome"), uid);
        }
    }

    @Test
    void expiringTokenClosesWith4401() {
        try (WsTestClient client = WsTestClient.connect(api.ws("token="
                + token(uniqueUid("expiring"), Duration.ofSeconds(1), List.of(), List.of())))) {
            client.nextOfType("welcome");

            assertThat(client.awaitClose().code()).isEqualTo(4401);
        }
    }

    @Test
    void refreshKeepsSessionOpenPastOriginalExpiry() throws ParseException {
        String uid = uniqueUid("refresh");
        String shortLived = token(uid, Duration.ofSeconds(1), List.of(), List.of());
        Instant originalExpiry = SignedJWT.parse(shortLived).getJWTClaimsSet().getExpirationTime().toInstant()
                .plus(CLOCK_SKEW);
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + shortLived))) {
            client.nextOfType("welcome");

            client.sendJson(Map.of("type", "refresh", "token", token(uid), "ref", 1));
            JsonNode reply = client.nextOfType("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(1);
            assertThat(reply.path("ok").asBoolean()).isTrue();

            Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Instant.now().isAfter(originalExpiry.plusSeconds(1)));
            api.publish("""
                    {"to":{"uids":["%s"]},"event":"after_expiry","data":1}""".formatted(uid));

            assertThat(client.nextMessage().path("event").asString()).isEqualTo("after_expiry");
            assertThat(client.isClosed()).isFalse();
        }
    }

    @Test
    void refreshWithAnotherUidIsRefusedAndSessionStays() {
        String uid = uniqueUid("owner");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            client.nextOfType("welcome");

            client.sendJson(Map.of("type", "refresh", "token", token(uniqueUid("intruder")), "ref", 1));
            JsonNode reply = client.nextOfType("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(1);
            assertThat(reply.path("ok").asBoolean()).isFalse();
            assertThat(reply.path("error").path("code").asString()).isEqualTo("invalid_token");

            api.publish("""
                    {"to":{"uids":["%s"]},"event":"still_here","data":1}""".formatted(uid));
            assertThat(client.nextMessage().path("event").asString()).isEqualTo("still_here");
        }
    }

    @Test
    void refreshGrantsTheNewTokensGroups() {
        String uid = uniqueUid("grower");
        String group = uniqueUid("room");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            client.nextOfType("welcome");

            client.sendJson(Map.of("type", "refresh", "token", token(uid, List.of(group), List.of()), "ref", 1));
            assertThat(client.next(f -> f.path("ref").asLong() == 1).path("ok").asBoolean()).isTrue();
            client.sendJson(Map.of("type", "join", "group", group, "ref", 2));

            assertThat(client.next(f -> f.path("ref").asLong() == 2).path("ok").asBoolean()).isTrue();
        }
    }

    @Test
    void refreshWithBadTokenIsRefusedAndSessionStays() {
        String uid = uniqueUid("owner");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            client.nextOfType("welcome");

            client.sendJson(Map.of("type", "refresh", "token", signedWithOtherSecret(uid), "ref", 2));
            JsonNode reply = client.nextOfType("reply");
            assertThat(reply.path("ref").asLong()).isEqualTo(2);
            assertThat(reply.path("error").path("code").asString()).isEqualTo("invalid_token");

            client.sendJson(Map.of("type", "ping", "ref", 3));
            assertThat(client.next(f -> f.path("ref").asLong() == 3).path("ok").asBoolean()).isTrue();
        }
    }

    @Nested
    @TestPropertySource(properties = {
            "pushgate.ws.auth-timeout=500ms",
            "pushgate.ws.max-frame-bytes=1KB",
            "pushgate.ws.frames-per-second=5",
            "pushgate.ws.frame-burst=5"
    })
    class ShortAuthTimeout {

        @LocalServerPort
        int tightPort;

        @Test
        void noTokenAndNoAuthFrameClosesWith4401() {
            try (WsTestClient client = WsTestClient.connect(new Api(tightPort).ws(""))) {
                assertThat(client.awaitClose().code()).isEqualTo(4401);
                assertThat(client.drain()).isEmpty();
            }
        }
    }

    private static void assertWelcome(JsonNode welcome, String uid, String... groups) {
        assertThat(welcome.path("type").asString()).isEqualTo("welcome");
        assertThat(welcome.path("uid").asString()).isEqualTo(uid);
        assertThat(welcome.path("clientId").asString()).startsWith("test-");
        assertThat(welcome.path("heartbeat").asLong()).isEqualTo(25_000);
        assertThat(welcome.path("groups").valueStream().map(JsonNode::asString).toList())
                .containsExactlyInAnyOrder(groups);
    }
}
