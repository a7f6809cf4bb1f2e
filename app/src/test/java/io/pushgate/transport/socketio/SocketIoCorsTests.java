package io.pushgate.transport.socketio;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/**
 * The CORS answers of {@code /socket.io/} polling, as a page of another origin sees them. Socket.IO clients
 * authenticate with their {@code auth} token, so no origin needs the user's cookies; only origins listed by
 * name in {@code pushgate.cors.allowed-origins} get {@code Access-Control-Allow-Credentials}, since an
 * origin reflected with it would let any site read answers made with those cookies.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.compat.socket-io.enabled=true")
class SocketIoCorsTests {

    @Autowired
    Api api;

    @Test
    void withNoOriginListAnyPageMayPollButNotWithCookies() {
        api.client().get().uri("/socket.io/?EIO=4&transport=polling").header("Origin", "https://evil.example").exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", "https://evil.example")
                .expectHeader().doesNotExist("Access-Control-Allow-Credentials")
                .expectBody(String.class).returnResult();
    }

    @Nested
    @TestPropertySource(properties = "pushgate.cors.allowed-origins=https://app.example")
    class WithAnOriginList {

        @LocalServerPort
        int listPort;

        @Test
        void aListedOriginMayPollWithCookiesAndAnotherIsRefused() {
            Api listed = new Api(listPort);
            listed.client().get().uri("/socket.io/?EIO=4&transport=polling").header("Origin", "https://app.example").exchange()
                    .expectStatus().isOk()
                    .expectHeader().valueEquals("Access-Control-Allow-Origin", "https://app.example")
                    .expectHeader().valueEquals("Access-Control-Allow-Credentials", "true")
                    .expectBody(String.class).returnResult();
            listed.client().get().uri("/socket.io/?EIO=4&transport=polling").header("Origin", "https://evil.example").exchange()
                    .expectStatus().isForbidden()
                    .expectHeader().doesNotExist("Access-Control-Allow-Origin")
                    .expectBody(String.class).returnResult();
        }
    }
}
