package io.pushgate.admin;

import io.pushgate.security.ApiKeys;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import java.nio.file.Path;
import java.util.List;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SchemaValidator;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin page's API on a real server: only an admin key opens it (an API key does not, and an admin
 * key opens nothing else); it shows stats, a uid's sessions and the top groups, kicks and publishes. The
 * page is served under a CSP with no inline code. Without {@code pushgate.admin.keys} all of it is 404.
 */
@ExtendWith(OutputCaptureExtension.class)
class AdminApiTests {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final SchemaValidator OPENAPI = new SchemaValidator(SchemaValidator.loadYaml(Path.of("../api-spec/openapi.yaml")));

    /** The answer has the shape api-spec/openapi.yaml gives it. */
    static JsonNode conforms(String schema, JsonNode answer) {
        assertThat(OPENAPI.validate("#/components/schemas/" + schema, answer)).as("%s: %s", schema, answer).isEmpty();
        return answer;
    }

    @Nested
    @PushgateIntegrationTest
    @TestPropertySource(properties = "pushgate.admin.keys=" + TestSecrets.ADMIN_KEY)
    class On {

        @Autowired
        Api api;

        WebTestClient web() {
            // without the API key the fixture's client sends by default
            return api.client().mutate().defaultHeaders(h -> h.remove(HttpHeaders.AUTHORIZATION)).build();
        }

        JsonNode admin(WebTestClient.RequestHeadersSpec<?> request, int status) {
            byte[] body = request.header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.ADMIN_KEY).exchange()
                    .expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody();
            return JSON.readTree(body == null ? new byte[0] : body);
        }

        @Test
        void onlyAnAdminKeyOpensTheAdminApiAndItOpensNothingElse() {
            web().get().uri("/admin/api/overview").exchange().expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:missing-admin-key");
            web().get().uri("/admin/api/overview").header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY)
                    .exchange().expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:invalid-admin-key");
            web().get().uri("/api/v1/stats").header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.ADMIN_KEY)
                    .exchange().expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:invalid-api-key");
            assertThat(admin(web().get().uri("/admin/api/overview"), 200).path("nodes").get(0).path("node").asString())
                    .isEqualTo("test");
        }

        @Test
        void thePageIsServedUnderAPolicyWithoutInlineCode() {
            web().get().uri("/admin").exchange().expectStatus().isFound().expectHeader().location("admin/").expectBody().isEmpty();
            web().get().uri("/admin/").exchange().expectStatus().isOk()
                    .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                    .expectHeader().value("Content-Security-Policy", csp -> assertThat(csp)
                            .contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline"))
                    .expectBody(String.class).value(html -> assertThat(html).contains("<script src=\"admin.js\"")
                            .doesNotContain("<script>").doesNotContain("onclick="));
            web().get().uri("/admin/admin.js").exchange().expectStatus().isOk().expectBody(String.class)
                    .value(js -> assertThat(js).contains("sessionStorage"));
        }

        @Test
        void showsAUidsSessionsWithTheirTransportNodeGroupsAndTimeThenKicksIt(CapturedOutput output) {
            String uid = uniqueUid("admin-lookup");
            String group = uniqueUid("admin-room");
            try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid, List.of(group), List.of())))) {
                client.nextOfType("welcome");

                JsonNode found = conforms("AdminUid", admin(web().get().uri("/admin/api/uids/" + uid), 200));
                assertThat(found.path("online").asBoolean()).isTrue();
                JsonNode session = found.path("sessions").get(0);
                assertThat(session.path("node").asString()).isEqualTo("test");
                assertThat(session.path("transport").asString()).isEqualTo("websocket");
                assertThat(session.path("groups").get(0).asString()).isEqualTo(group);
                assertThat(session.path("connectedAt").asLong()).isCloseTo(System.currentTimeMillis(),
                        org.assertj.core.data.Offset.offset(60_000L));

                JsonNode overview = conforms("AdminOverview", admin(web().get().uri("/admin/api/overview"), 200));
                assertThat(overview.path("groups").path("top").findValuesAsString("group")).contains(group);
                assertThat(overview.path("nodes").get(0).path("sessionsByTransport").path("websocket").asInt()).isPositive();

                JsonNode kicked = conforms("AdminKicked", admin(web().delete().uri("/admin/api/uids/" + uid + "/sessions"), 200));
                assertThat(kicked.path("closed").asInt()).isEqualTo(1);
                assertThat(client.awaitClose().code()).isEqualTo(4403);
            }
            assertThat(output.getAll()).contains("admin-key:" + ApiKeys.id(TestSecrets.ADMIN_KEY) + " kick uid:" + uid
                    + " closed=1 outcome=ok").doesNotContain(TestSecrets.ADMIN_KEY);
        }

        @Test
        void publishesToAUid(CapturedOutput output) {
            String uid = uniqueUid("admin-publish");
            try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
                client.nextOfType("welcome");

                JsonNode published = admin(web().post().uri("/admin/api/messages").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"to\":\"uid\",\"name\":\"" + uid + "\",\"event\":\"notice\",\"data\":{\"n\":1}}"), 200);
                conforms("AdminPublished", published);

                assertThat(published.path("sessions").asInt()).isEqualTo(1);
                JsonNode message = client.nextMessage();
                assertThat(message.path("event").asString()).isEqualTo("notice");
                assertThat(message.path("data").path("n").asInt()).isEqualTo(1);
            }
            assertThat(output.getAll()).contains("admin-key:" + ApiKeys.id(TestSecrets.ADMIN_KEY) + " publish uid:" + uid
                    + " event=notice sessions=1 outcome=ok").doesNotContain(TestSecrets.ADMIN_KEY);
        }

        @Test
        void aBadPublishIsAProblem() {
            JsonNode problem = admin(web().post().uri("/admin/api/messages").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"to\":\"nobody\"}"), 400);
            assertThat(problem.path("detail").asString()).contains("to must be");
        }
    }

    @Nested
    @PushgateIntegrationTest
    class Off {

        @Autowired
        Api api;

        @Test
        void withoutAdminKeysThePageAndItsApiAre404() {
            for (String path : List.of("/admin", "/admin/", "/admin/admin.js", "/admin/api/overview")) {
                api.client().get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY)
                        .exchange().expectStatus().isNotFound()
                        .expectBody(String.class).value(text -> assertThat(text).contains("pushgate.admin.keys"));
            }
        }
    }
}
