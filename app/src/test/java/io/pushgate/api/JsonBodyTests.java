package io.pushgate.api;

import java.util.List;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.RawHttp.Response;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.RawHttp.post;
import static io.pushgate.support.RawHttp.postChunked;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a body that is not JSON, or not declared as JSON, answers on every route that takes JSON: the
 * same problem whether the direct publish route ({@link DirectPublishing}, a {@code Content-Length}
 * body) or WebFlux (a chunked body, {@code /client/**}) would serve the request.
 */
@PushgateIntegrationTest
class JsonBodyTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MESSAGES = "/api/v1/messages";
    private static final String BATCH = "/api/v1/messages:batch";
    private static final String JSON_TYPE = "Content-Type: application/json";

    @LocalServerPort
    int port;

    @Autowired
    DirectPublishing route;

    private static String publish() {
        return "{\"to\":{\"uids\":[\"" + TestSecrets.uniqueUid("nobody") + "\"]},\"data\":1}";
    }

    /** The request as both routes would take it: with a Content-Length (direct) and chunked (WebFlux). */
    private static List<String> bothWays(String path, String body, String contentTypeLine) {
        String from = contentTypeLine.isEmpty() ? JSON_TYPE + "\r\n" : JSON_TYPE;
        return List.of(post(path, body).replace(from, contentTypeLine), postChunked(path, body).replace(from, contentTypeLine));
    }

    private Response exchange(String request) {
        try (RawHttp http = RawHttp.connect(port)) {
            return http.exchange(request);
        }
    }

    private static void assertProblem(Response answer, int status, String slug, String detail) {
        assertThat(answer.status()).as("%s", answer).isEqualTo(status);
        assertThat(answer.headers().get("content-type")).isEqualTo("application/problem+json");
        JsonNode problem = JSON.readTree(answer.body());
        assertThat(problem.path("type").asString()).isEqualTo("urn:pushgate:problem:" + slug);
        assertThat(problem.path("detail").asString()).isEqualTo(detail);
    }

    @Test
    void aPublishBodyDeclaredAsSomethingElseThanJsonIs415WhicheverRouteServesIt() {
        for (String type : List.of("Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
                "Content-Type: multipart/form-data; boundary=x", "Content-Type: not a type")) {
            for (String path : List.of(MESSAGES, BATCH)) {
                String body = path.equals(BATCH) ? "[" + publish() + "]" : publish();
                long before = route.served();
                for (String request : bothWays(path, body, type)) {
                    assertProblem(exchange(request), 415, "unsupported-media-type",
                            "the body must be JSON: send Content-Type: application/json");
                }
                assertThat(route.served()).as("nothing was published").isEqualTo(before);
            }
        }
    }

    @Test
    void aPublishBodyDeclaredAsJsonOrNotDeclaredAtAllIsRead() {
        for (String type : List.of(JSON_TYPE, "Content-Type: application/json; charset=utf-8",
                "Content-Type: application/merge-patch+json")) {
            for (String request : bothWays(MESSAGES, publish(), type)) {
                assertThat(exchange(request).status()).as(request).isEqualTo(200);
            }
        }
        // backend HTTP clients often send no type; the API key shows it is no browser's form
        for (String request : bothWays(MESSAGES, publish(), "")) {
            assertThat(request).doesNotContainIgnoringCase("content-type");
            assertThat(exchange(request).status()).as(request).isEqualTo(200);
        }
    }

    @Test
    void malformedJsonIsDescribedByPlaceNotByParserInternalsWhicheverRouteServesIt() {
        long before = route.served();
        List<String> requests = bothWays(MESSAGES, "{\"to\": x}", JSON_TYPE);
        for (String request : requests) {
            assertProblem(exchange(request), 400, "bad-request",
                    "the request body is not valid JSON: unrecognized token 'x' at line 1, column 8");
        }
        assertThat(route.served()).as("nothing was published").isEqualTo(before);
        for (String request : bothWays(BATCH, "[{\"to\":{}}", JSON_TYPE)) {
            Response answer = exchange(request);
            assertProblem(answer, 400, "bad-request",
                    "the request body is not valid JSON: unexpected end of input at line 1, column 11 (expected close marker for Array)");
        }
    }

    @Test
    void clientCommandsAnswerTheSame415AndMalformedJsonProblems() {
        String token = TestSecrets.token(TestSecrets.uniqueUid("cmd"), List.of("g"), List.of("g"));
        WebTestClient client = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
        client.post().uri("/client/publish").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_FORM_URLENCODED).bodyValue("group=g&event=e&data=1")
                .exchange().expectStatus().isEqualTo(415)
                .expectHeader().contentType("application/problem+json")
                .expectBody().jsonPath("$.type").isEqualTo("urn:pushgate:problem:unsupported-media-type")
                .jsonPath("$.detail").isEqualTo("client commands are JSON: send Content-Type: application/json");
        client.post().uri("/client/publish").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"group\":\"g\",\"data\":@}")
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail")
                .isEqualTo("the request body is not valid JSON: unexpected character '@' at line 1, column 21 (expected a value)");
    }
}
