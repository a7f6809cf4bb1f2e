package io.pushgate.web;

import io.pushgate.support.PushgateIntegrationTest;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /}, without any credential: an HTML page for a browser, a JSON index for anything else. */
@PushgateIntegrationTest
class RootPageTests {

    @LocalServerPort
    int port;

    private WebTestClient anonymous() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
    }

    @Test
    void aBrowserGetsAPageLinkingTheDemoTheClientTheDocsAndTheApi() {
        // what Chromium and Firefox send for a page
        String html = anonymous().get().uri("/")
                .header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
                .exchange().expectStatus().isOk()
                .expectHeader().contentType("text/html;charset=UTF-8")
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(html).contains("<a href=\"demo/\">", "<a href=\"pushgate.js\">", "api/v1", "README.md", "docs/");
    }

    @Test
    void anApiClientGetsAJsonIndexOfTheSameLinks() {
        for (String accept : new String[] {"*/*", "application/json", "text/html;q=0"}) {
            byte[] body = anonymous().get().uri("/").header("Accept", accept)
                    .exchange().expectStatus().isOk()
                    .expectHeader().contentType(MediaType.APPLICATION_JSON)
                    .expectBody().returnResult().getResponseBody();
            JsonNode index = JsonMapper.builder().build().readTree(body);
            assertThat(index.path("name").asString()).as(accept).isEqualTo("pushgate");
            assertThat(index.path("links").path("api").asString()).isEqualTo("api/v1");
            assertThat(index.path("links").path("demo").asString()).isEqualTo("demo/");
            assertThat(index.path("links").path("client").asString()).isEqualTo("pushgate.js");
            assertThat(index.path("docs").asString()).contains("README.md", "docs/", "api-spec/");
        }
        // no Accept at all, as the plainest HTTP client sends
        anonymous().get().uri("/").headers(h -> h.remove("Accept"))
                .exchange().expectStatus().isOk().expectHeader().contentType(MediaType.APPLICATION_JSON)
                .expectBody().returnResult();
    }

    @Test
    void theLinkedPathsAnswer() {
        anonymous().get().uri("/demo/").exchange().expectStatus().isOk().expectBody().returnResult();
        anonymous().get().uri("/pushgate.js").exchange().expectStatus().isOk().expectBody().returnResult();
        anonymous().head().uri("/").header("Accept", "text/html").exchange().expectStatus().isOk()
                .expectHeader().contentType("text/html;charset=UTF-8").expectBody().returnResult();
    }
}
