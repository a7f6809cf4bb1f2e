package io.pushgate.security;

import java.util.Map;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SseTestClient;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page of another site cannot use a user's {@code pushgate_token} cookie: the browser attaches it, and
 * pushgate ignores it (401, as without one). pushgate's own pages (an {@code Origin} that is its own, or a
 * browser's {@code Sec-Fetch-Site: same-origin}) and listed origins keep using it; {@code POST /client/*}
 * takes only JSON, from those origins.
 */
@PushgateIntegrationTest
class CookieOriginTests {

    @Autowired
    Api api;

    @LocalServerPort
    int port;

    /** A browser's client: no API key as a default {@code Authorization}, unlike {@link Api#client()}. */
    private static WebTestClient browser(int port) {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
    }

    private static String cookie(String uid) {
        return "pushgate_token=" + token(uid);
    }

    @Test
    void aPollFromAnotherSiteWithTheCookieIsUnauthenticated() {
        String cookie = cookie(uniqueUid("csrf-poll"));
        browser(port).get().uri("/poll").header("Cookie", cookie).header("Origin", "https://evil.example")
                .exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        // a cross-site GET a link or an image makes carries no Origin, but the browser says where it came from
        browser(port).get().uri("/poll").header("Cookie", cookie).header("Sec-Fetch-Site", "cross-site")
                .exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        browser(port).get().uri("/poll").header("Cookie", cookie).header("Sec-Fetch-Site", "same-site")
                .exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        // neither header: not a page's request, and the cookie proves nothing
        browser(port).get().uri("/poll").header("Cookie", cookie)
                .exchange().expectStatus().isUnauthorized().expectBody().returnResult();
    }

    @Test
    void aPollFromPushgatesOwnPageWithTheCookieIsServed() {
        String cookie = cookie(uniqueUid("own-poll"));
        browser(port).get().uri("/poll").header("Cookie", cookie).header("Sec-Fetch-Site", "same-origin")
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.cursor").exists();
        browser(port).get().uri("/poll").header("Cookie", cookie).header("Origin", "http://localhost:" + port)
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.cursor").exists();
        // a token sent on purpose is not a cookie: any origin may send it
        browser(port).get().uri("/poll").header("Authorization", "Bearer " + token(uniqueUid("bearer")))
                .header("Origin", "https://elsewhere.example")
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.cursor").exists();
    }

    @Test
    void anEventStreamFromAnotherSiteWithTheCookieIsRefusedAndOneFromTheOwnPageIsServed() {
        String uid = uniqueUid("csrf-sse");
        try (SseTestClient sse = SseTestClient.open(port, "", Map.of("Cookie", cookie(uid), "Origin", "https://evil.example"))) {
            assertThat(sse.status()).isEqualTo(401);
        }
        try (SseTestClient sse = SseTestClient.open(port, "", Map.of("Cookie", cookie(uid), "Sec-Fetch-Site", "cross-site"))) {
            assertThat(sse.status()).isEqualTo(401);
        }
        try (SseTestClient sse = SseTestClient.open(port, "", Map.of("Cookie", cookie(uid), "Sec-Fetch-Site", "same-origin"))) {
            assertThat(sse.status()).isEqualTo(200);
        }
    }

    @Test
    void aWebSocketFromAnotherSiteWithTheCookieIsNotAuthenticatedByIt() {
        String uid = uniqueUid("csrf-ws");
        try (WsTestClient ws = WsTestClient.connect(api.ws(""), Map.of("Cookie", cookie(uid), "Origin", "https://evil.example"),
                java.util.List.of())) {
            // without a token the handshake waits for an auth frame: a bad one closes it, where the cookie would have welcomed
            ws.send("{\"type\":\"auth\",\"token\":\"not-a-token\"}");
            assertThat(ws.awaitClose().code()).isEqualTo(4401);
        }
        try (WsTestClient ws = WsTestClient.connect(api.ws(""), Map.of("Cookie", cookie(uid), "Origin", "http://localhost:" + port),
                java.util.List.of())) {
            assertThat(ws.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
        }
    }

    @Test
    void aClientCommandFromAnotherSiteIsForbiddenAndOneThatIsNotJsonIsUnsupported() {
        String token = token(uniqueUid("csrf-cmd"), java.util.List.of("g"), java.util.List.of("g"));
        WebTestClient client = browser(port);
        client.post().uri("/client/publish").header("Authorization", "Bearer " + token).header("Origin", "https://evil.example")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"group\":\"g\",\"event\":\"e\",\"data\":1}")
                .exchange().expectStatus().isForbidden()
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:origin-not-allowed");
        client.post().uri("/client/publish").header("Authorization", "Bearer " + token)
                .contentType(MediaType.TEXT_PLAIN).bodyValue("{\"group\":\"g\",\"event\":\"e\",\"data\":1}")
                .exchange().expectStatus().isEqualTo(415)
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:unsupported-media-type");
        client.post().uri("/client/publish").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_FORM_URLENCODED).bodyValue("group=g&event=e&data=1")
                .exchange().expectStatus().isEqualTo(415).expectBody().returnResult();
        client.post().uri("/client/publish").header("Authorization", "Bearer " + token).header("Origin", "http://localhost:" + port)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"group\":\"g\",\"event\":\"e\",\"data\":1}")
                .exchange().expectStatus().isOk().expectBody().returnResult();
    }

    @Nested
    @TestPropertySource(properties = "pushgate.cors.allowed-origins=https://app.example")
    class WithAnOriginList {

        @LocalServerPort
        int listPort;

        @Test
        void aListedOriginUsesTheCookieAndAnotherDoesNot() {
            String cookie = cookie(uniqueUid("listed"));
            WebTestClient client = browser(listPort);
            client.get().uri("/poll").header("Cookie", cookie).header("Origin", "https://app.example")
                    .exchange().expectStatus().isOk()
                    .expectHeader().valueEquals("Access-Control-Allow-Credentials", "true")
                    .expectBody().jsonPath("$.cursor").exists();
            try (SseTestClient sse = SseTestClient.open(listPort, "", Map.of("Cookie", cookie, "Origin", "https://app.example"))) {
                assertThat(sse.status()).isEqualTo(200);
            }
            client.get().uri("/poll").header("Cookie", cookie).header("Sec-Fetch-Site", "cross-site")
                    .exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        }
    }
}
