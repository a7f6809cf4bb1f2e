package io.pushgate.compat;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.BodyInserters;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend written for web-msg-sender keeps its push code: the same fields, the same {@code ok} /
 * {@code offline} / {@code fail} answers, and its users get {@code new_msg} with the escaped content.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.compat.web-msg-sender.enabled=true")
class WebMsgSenderTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Test
    void aFormPublishToAnOnlineUidAnswersOkAndTheUserGetsNewMsgWithTheContentEscaped() {
        String uid = uniqueUid("wms");
        try (WsTestClient user = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            user.nextOfType("welcome");

            String answer = postForm(port, BodyInserters.fromFormData("type", "publish").with("to", uid)
                    .with("content", "<b>\"hi\"</b> & 'you'"), HttpStatus.OK);

            assertThat(answer).isEqualTo("ok");
            JsonNode message = user.nextMessage();
            assertThat(message.path("event").asString()).isEqualTo("new_msg");
            assertThat(message.path("data").asString()).isEqualTo("&lt;b&gt;&quot;hi&quot;&lt;/b&gt; &amp; &#039;you&#039;");
        }
    }

    /** PHP's curl sends an array of fields as multipart/form-data, which is how the seed's backend posts. */
    @Test
    void aMultipartPublishAsPhpsCurlSendsItWorksToo() {
        String uid = uniqueUid("wms-multipart");
        try (WsTestClient user = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            user.nextOfType("welcome");
            MultipartBodyBuilder form = new MultipartBodyBuilder();
            form.part("type", "publish");
            form.part("to", uid);
            form.part("content", "数据");

            assertThat(postForm(port, BodyInserters.fromMultipartData(form.build()), HttpStatus.OK)).isEqualTo("ok");
            assertThat(user.nextMessage().path("data").asString()).isEqualTo("数据");
        }
    }

    @Test
    void aQueryStringPublishToAnOfflineUidAnswersOffline() {
        String answer = api.client().get()
                .uri(b -> b.path(WebMsgSender.PATH).queryParam("type", "publish").queryParam("to", uniqueUid("nobody"))
                        .queryParam("content", "x").build())
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();

        assertThat(answer).isEqualTo("offline");
    }

    @Test
    void noRecipientSendsToEveryone() {
        try (WsTestClient a = WsTestClient.connect(api.ws("token=" + token(uniqueUid("wms-a"))));
             WsTestClient b = WsTestClient.connect(api.ws("token=" + token(uniqueUid("wms-b"))))) {
            a.nextOfType("welcome");
            b.nextOfType("welcome");

            assertThat(postForm(port, BodyInserters.fromFormData("type", "publish").with("content", "to all"), HttpStatus.OK))
                    .isEqualTo("ok");

            assertThat(a.next(f -> "to all".equals(f.path("data").asString())).path("event").asString()).isEqualTo("new_msg");
            assertThat(b.next(f -> "to all".equals(f.path("data").asString())).path("event").asString()).isEqualTo("new_msg");
        }
    }

    @Test
    void anythingButPublishAnswersFail() {
        assertThat(postForm(port, BodyInserters.fromFormData("type", "subscribe").with("to", "u1"), HttpStatus.OK))
                .isEqualTo("fail");
        assertThat(postForm(port, BodyInserters.fromFormData("to", "u1"), HttpStatus.OK)).isEqualTo("fail");
    }

    /** Behind a proxy the client address is the forwarded one, and only loopback is taken by default. */
    @Test
    void aRequestFromAnAddressNotAllowedIsForbidden() {
        String answer = api.client().post().uri(WebMsgSender.PATH)
                .header("X-Forwarded-For", "203.0.113.9")
                .body(BodyInserters.fromFormData("type", "publish").with("content", "spoof"))
                .exchange().expectStatus().isForbidden().expectBody(String.class).returnResult().getResponseBody();

        assertThat(answer).startsWith("forbidden");
    }

    /**
     * Behind nginx on the same host: the proxy connects from loopback and forwards the client's address.
     * A backend on that host is served; the leftmost entry, which the client itself may write (nginx
     * appends to it), does not count.
     */
    @Test
    void aPushThroughALocalProxyFromALocalBackendIsServed() {
        String answer = api.client().post().uri(WebMsgSender.PATH)
                .header("X-Forwarded-For", "127.0.0.1")
                .body(BodyInserters.fromFormData("type", "publish").with("content", "via nginx"))
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(answer).isEqualTo("ok");

        assertThat(api.client().post().uri(WebMsgSender.PATH)
                .header("Forwarded", "for=\"[::1]:4711\";proto=http")
                .body(BodyInserters.fromFormData("type", "publish").with("content", "via a standard proxy"))
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody()).isEqualTo("ok");
    }

    @Test
    void aClientCannotPassForALocalBackendByWritingTheForwardedForItself() {
        String answer = api.client().post().uri(WebMsgSender.PATH)
                .header("X-Forwarded-For", "127.0.0.1, 203.0.113.9")
                .body(BodyInserters.fromFormData("type", "publish").with("content", "spoof"))
                .exchange().expectStatus().isForbidden().expectBody(String.class).returnResult().getResponseBody();

        assertThat(answer).startsWith("forbidden");
    }

    /** From a peer that is not a trusted proxy the forwarded address is ignored: the rule sees the real peer. */
    @Nested
    @TestPropertySource(properties = "pushgate.http.trusted-proxies=192.0.2.1")
    class FromAPeerThatIsNotATrustedProxy {

        @LocalServerPort
        int directPort;

        @Test
        void theForwardedAddressIsIgnoredAndThePeerIsServed() {
            String answer = new Api(directPort).client().post().uri(WebMsgSender.PATH)
                    .header("X-Forwarded-For", "203.0.113.9")
                    .header("Forwarded", "for=203.0.113.9")
                    .body(BodyInserters.fromFormData("type", "publish").with("content", "direct"))
                    .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();

            assertThat(answer).isEqualTo("ok");
        }
    }

    @Nested
    @TestPropertySource(properties = {"pushgate.http.trusted-proxies=192.0.2.1",
            "pushgate.compat.web-msg-sender.allowed-from=203.0.113.0/24"})
    class AllowingAnotherNetworkFromAPeerThatIsNotATrustedProxy {

        @LocalServerPort
        int directPort;

        @Test
        void aForwardedAddressInThatNetworkDoesNotGetIn() {
            String answer = new Api(directPort).client().post().uri(WebMsgSender.PATH)
                    .header("X-Forwarded-For", "203.0.113.9")
                    .body(BodyInserters.fromFormData("type", "publish").with("content", "spoof"))
                    .exchange().expectStatus().isForbidden().expectBody(String.class).returnResult().getResponseBody();

            assertThat(answer).startsWith("forbidden");
        }
    }

    @Nested
    @TestPropertySource(properties = "pushgate.compat.web-msg-sender.key=compat-key-0123456789")
    class WithAKey {

        @LocalServerPort
        int keyPort;

        @Test
        void aRequestWithoutTheKeyIsForbiddenAndOneWithItIsTaken() {
            postForm(keyPort, BodyInserters.fromFormData("type", "publish").with("content", "x"), HttpStatus.FORBIDDEN);
            postForm(keyPort, BodyInserters.fromFormData("type", "publish").with("content", "x").with("key", "wrong"),
                    HttpStatus.FORBIDDEN);

            assertThat(postForm(keyPort, BodyInserters.fromFormData("type", "publish").with("content", "x")
                    .with("key", "compat-key-0123456789"), HttpStatus.OK)).isEqualTo("ok");
        }
    }

    @Nested
    @TestPropertySource(properties = "pushgate.compat.web-msg-sender.enabled=false")
    class Off {

        @LocalServerPort
        int offPort;

        @Test
        void theEndpointDoesNotExist() {
            new Api(offPort).client().post().uri(WebMsgSender.PATH)
                    .body(BodyInserters.fromFormData("type", "publish").with("content", "x"))
                    .exchange().expectStatus().isNotFound()
                    .expectBody(String.class).returnResult(); // read, so that the client releases it
        }
    }

    private static String postForm(int port, BodyInserters.FormInserter<?> form, HttpStatus status) {
        return new Api(port).client().post().uri(WebMsgSender.PATH).body(form)
                .exchange().expectStatus().isEqualTo(status).expectBody(String.class).returnResult().getResponseBody();
    }
}
