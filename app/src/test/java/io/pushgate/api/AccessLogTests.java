package io.pushgate.api;

import java.util.List;
import java.util.regex.Pattern;

import io.pushgate.security.ApiKeys;
import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.RawHttp;
import io.pushgate.support.RawHttp.Response;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.RawHttp.post;
import static io.pushgate.support.RawHttp.postChunked;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The access line of every API request, on either path that answers it (WebFlux or the direct publish
 * route), and the audit line of every kick and ban: what they hold, and that the API key and client
 * tokens never appear in the log, whatever a request carried.
 */
@PushgateIntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class AccessLogTests {

    static final String KEY_ID = ApiKeys.id(TestSecrets.API_KEY);
    static final String WRONG_KEY = "not-the-api-key-0123456789";

    @Autowired
    Api api;

    @Autowired
    DirectPublishing route;

    @LocalServerPort
    int port;

    @Test
    void aRequestAnsweredByWebFluxHasOneLineWithoutItsQuery(CapturedOutput output) {
        String uid = TestSecrets.uniqueUid("logged");

        api.get("/api/v1/uids/" + uid + "?online");

        assertThat(accessLines(output, "GET /api/v1/uids/" + uid)).singleElement().satisfies(line -> {
            assertThat(line).containsPattern(Pattern.quote(AccessLog.LOGGER) + ".* GET /api/v1/uids/" + uid
                    + " 200 key=" + KEY_ID + " \\d+ms$");
            assertThat(line).doesNotContain("?online");
        });
        assertNoSecrets(output);
    }

    @Test
    void aDirectPublishHasTheSameLineAsOneThroughWebFlux(CapturedOutput output) {
        String uid = TestSecrets.uniqueUid("direct-logged");
        String body = "{\"to\":{\"uids\":[\"" + uid + "\"]},\"data\":1}";
        try (RawHttp http = RawHttp.connect(port)) {
            long before = route.served();
            Response direct = http.exchange(post(DirectPublishing.MESSAGES, body));
            assertThat(route.served()).as("answered by the direct route").isEqualTo(before + 1);
            List<String> directLines = accessLines(output, "POST /api/v1/messages ");
            assertThat(directLines).singleElement().asString()
                    .containsPattern("POST /api/v1/messages 200 key=" + KEY_ID + " \\d+ms$");

            Response viaWebFlux = http.exchange(postChunked(DirectPublishing.MESSAGES, body));
            assertThat(route.served()).as("answered by WebFlux").isEqualTo(before + 1);
            assertThat(direct.status()).isEqualTo(200);
            assertThat(viaWebFlux.status()).isEqualTo(200);
            List<String> lines = accessLines(output, "POST /api/v1/messages ");
            assertThat(lines).hasSize(2);
            assertThat(lines.get(1).replaceAll(".* POST", "POST").replaceAll("\\d+ms$", "ms"))
                    .isEqualTo(lines.get(0).replaceAll(".* POST", "POST").replaceAll("\\d+ms$", "ms"));
        }
        assertNoSecrets(output);
    }

    @Test
    void aRefusedRequestIsLoggedWithNoKeyIdAndNeverTheKeySent(CapturedOutput output) {
        String uid = TestSecrets.uniqueUid("refused");
        api.client().get().uri("/api/v1/uids/" + uid).header(HttpHeaders.AUTHORIZATION, "Bearer " + WRONG_KEY)
                .exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        try (RawHttp http = RawHttp.connect(port)) {
            // a wrong key is never taken by the direct route; WebFlux answers and logs it
            Response refused = http.exchange(post(DirectPublishing.MESSAGES, "{}").replace(TestSecrets.API_KEY, WRONG_KEY));
            assertThat(refused.status()).isEqualTo(401);
        }

        assertThat(accessLines(output, "GET /api/v1/uids/" + uid)).singleElement().asString().contains(" 401 key=- ");
        assertThat(accessLines(output, "POST /api/v1/messages ")).singleElement().asString().contains(" 401 key=- ");
        assertThat(output.getAll()).doesNotContain(WRONG_KEY);
        assertNoSecrets(output);
    }

    @Test
    void kicksAndBansAreAuditedWithTheKeyIdAndTheirOutcome(CapturedOutput output) {
        String kicked = TestSecrets.uniqueUid("kicked");
        String banned = TestSecrets.uniqueUid("banned");
        String token = TestSecrets.token(kicked);
        try (WsTestClient first = WsTestClient.connect(api.ws("token=" + token));
             WsTestClient second = WsTestClient.connect(api.ws("token=" + TestSecrets.token(banned)))) {
            first.nextOfType("welcome");
            String client = second.nextOfType("welcome").path("clientId").asString();

            api.delete("/api/v1/uids/" + kicked + "/sessions", 200);
            api.delete("/api/v1/clients/" + client + "?ban=60", 200);
            api.delete("/api/v1/uids/" + banned + "/sessions?ban=120", 200);
            api.delete("/api/v1/clients/no-such-client", 404);

            String who = "api-key:" + KEY_ID;
            assertThat(auditLines(output)).hasSize(4).satisfiesExactly(
                    line -> assertThat(line).endsWith(who + " kick uid:" + kicked + " closed=1 outcome=ok"),
                    line -> assertThat(line).containsPattern(Pattern.quote(who + " ban client:" + client + " uid=" + banned)
                            + " ban-until=\\d{4}-\\d\\d-\\d\\dT\\S+Z closed=1 outcome=ok$"),
                    line -> assertThat(line).containsPattern(Pattern.quote(who + " ban uid:" + banned)
                            + " ban-until=\\d{4}-\\d\\d-\\d\\dT\\S+Z closed=0 outcome=ok$"),
                    line -> assertThat(line).endsWith(who + " kick client:no-such-client outcome=failed:client-not-found"));
            assertThat(output.getAll()).doesNotContain(token);
        }
        assertNoSecrets(output);
    }

    @Nested
    @TestPropertySource(properties = "pushgate.api.access-log=false")
    class SwitchedOff {

        @Test
        void noRequestIsLoggedOnEitherPath(CapturedOutput output) {
            String uid = TestSecrets.uniqueUid("unlogged");
            api.get("/api/v1/uids/" + uid);
            try (RawHttp http = RawHttp.connect(port)) {
                long before = route.served();
                assertThat(http.exchange(post(DirectPublishing.MESSAGES, "{\"to\":{\"uids\":[\"" + uid + "\"]}}")).status())
                        .isEqualTo(200);
                assertThat(route.served()).isEqualTo(before + 1);
            }

            assertThat(output.getAll()).doesNotContain(AccessLog.LOGGER);
        }
    }

    /** The access lines that hold {@code fragment}, in order. */
    static List<String> accessLines(CapturedOutput output, String fragment) {
        return output.getAll().lines().filter(l -> l.contains(AccessLog.LOGGER) && l.contains(fragment)).toList();
    }

    static List<String> auditLines(CapturedOutput output) {
        return output.getAll().lines().filter(l -> l.contains(io.pushgate.web.Audit.LOGGER)).toList();
    }

    static void assertNoSecrets(CapturedOutput output) {
        assertThat(output.getAll()).doesNotContain(TestSecrets.API_KEY).doesNotContain(TestSecrets.JWT_SECRET);
    }
}
