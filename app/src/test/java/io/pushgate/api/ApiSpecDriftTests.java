package io.pushgate.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.pushgate.codec.JsonFrames;
import io.pushgate.core.PushNode;
import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.SchemaValidator;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.util.pattern.PathPattern;

import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fails when the running application drifts from {@code api-spec/openapi.yaml} and
 * {@code api-spec/asyncapi.yaml}: a route added or removed, a status the spec does not list for the
 * operation, a content type or body that does not match the documented schema, or a WebSocket frame
 * that does not match its payload schema.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.poll.hold=" + ApiSpecDriftTests.POLL_HOLD_MILLIS + "ms")
class ApiSpecDriftTests {

    /** A short long-poll hold, so the wait path of GET /poll is exercised in a second. */
    static final long POLL_HOLD_MILLIS = 1000;
    private static final Duration POLL_HOLD = Duration.ofMillis(POLL_HOLD_MILLIS);

    private static final Path SPEC_DIR = Path.of("..", "api-spec");
    private static final Path MAIN_SOURCES = Path.of("src", "main", "java", "io", "pushgate");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");
    private static final String PROBLEM = "urn:pushgate:problem:";

    private static SchemaValidator openapi;
    private static SchemaValidator asyncapi;

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    Api api;
    WebTestClient http;

    @BeforeAll
    static void loadSpecs() {
        openapi = new SchemaValidator(SchemaValidator.loadYaml(SPEC_DIR.resolve("openapi.yaml")));
        asyncapi = new SchemaValidator(SchemaValidator.loadYaml(SPEC_DIR.resolve("asyncapi.yaml")));
        assertThat(openapi.document().path("openapi").asString()).startsWith("3.1");
        assertThat(asyncapi.document().path("asyncapi").asString()).startsWith("3.0");
    }

    @BeforeEach
    void setUp() {
        api = new Api(port);
        http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(10)).build();
    }

    // ---------------------------------------------------------------- routes

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedRouteExists() {
        Set<String> served = new TreeSet<>();
        context.getBeansOfType(RequestMappingHandlerMapping.class).values().forEach(mapping ->
                mapping.getHandlerMethods().keySet().forEach(info -> {
                    Set<String> methods = new TreeSet<>();
                    info.getMethodsCondition().getMethods().forEach(m -> methods.add(m.name()));
                    if (methods.isEmpty()) {
                        methods.add("ANY"); // a mapping without a method takes every method: the spec must say which
                    }
                    for (PathPattern pattern : info.getPatternsCondition().getPatterns()) {
                        methods.forEach(m -> served.add(m + " " + pattern.getPatternString()));
                    }
                }));
        context.getBeansOfType(SimpleUrlHandlerMapping.class).values().forEach(mapping ->
                mapping.getHandlerMap().forEach((pattern, handler) -> {
                    if (handler instanceof WebSocketHandler) {
                        served.add("GET " + pattern.getPatternString());
                    }
                }));
        assertThat(served).as("sanity: the WebSocket mapping was found").contains("GET /ws");

        Set<String> documented = documentedOperations();
        assertThat(served).as("routes the app serves that api-spec/openapi.yaml does not document")
                .isSubsetOf(documented);
        assertThat(documented).as("routes api-spec/openapi.yaml documents that the app does not serve")
                .isSubsetOf(served);
    }

    // ---------------------------------------------------------------- 200s

    @Test
    void everyApiOperationAnswers200AsDocumented() {
        String alice = uniqueUid("alice");
        String bob = uniqueUid("bob");
        String carol = uniqueUid("carol");
        String room = uniqueUid("room");
        try (WsTestClient aliceWs = WsTestClient.connect(api.ws("token=" + token(alice, List.of(room), List.of())));
             WsTestClient bobWs = WsTestClient.connect(api.ws("token=" + token(bob)));
             WsTestClient carolWs = WsTestClient.connect(api.ws("token=" + token(carol)))) {
            String aliceClient = aliceWs.nextOfType("welcome").path("clientId").asString();
            String bobClient = bobWs.nextOfType("welcome").path("clientId").asString();
            carolWs.nextOfType("welcome");

            Map<String, Supplier<Answer>> recipes = new LinkedHashMap<>();
            recipes.put("POST /api/v1/messages", () -> post("/api/v1/messages", """
                    {"to":{"uids":["%s","%s"]},"event":"new_msg","data":{"n":1},"ttl":0,"exclude":{"clients":[]}}"""
                    .formatted(alice, uniqueUid("offline"))));
            recipes.put("POST /api/v1/messages:batch", () -> post("/api/v1/messages:batch", """
                    [{"to":{"uids":["%s"]},"data":1},{"to":{"groups":["%s"]}},{"to":{"clients":["%s"]},"event":"e"}]"""
                    .formatted(alice, room, aliceClient)));
            recipes.put("GET /api/v1/uids", () -> get("/api/v1/uids?online"));
            recipes.put("GET /api/v1/uids/{uid}", () -> get("/api/v1/uids/" + alice));
            recipes.put("GET /api/v1/groups", () -> get("/api/v1/groups?limit=1000"));
            recipes.put("GET /api/v1/groups/{group}", () -> get("/api/v1/groups/" + room));
            recipes.put("PUT /api/v1/groups/{group}/uids/{uid}", () -> call(HttpMethod.PUT, "/api/v1/groups/extra-" + room + "/uids/" + alice));
            recipes.put("DELETE /api/v1/groups/{group}/uids/{uid}", () -> call(HttpMethod.DELETE, "/api/v1/groups/extra-" + room + "/uids/" + alice));
            recipes.put("PUT /api/v1/groups/{group}/clients/{clientId}", () -> call(HttpMethod.PUT, "/api/v1/groups/" + room + "/clients/" + bobClient));
            recipes.put("DELETE /api/v1/groups/{group}/clients/{clientId}", () -> call(HttpMethod.DELETE, "/api/v1/groups/" + room + "/clients/" + bobClient));
            recipes.put("GET /api/v1/stats", () -> get("/api/v1/stats"));
            recipes.put("PUT /api/v1/clients/{clientId}/data", () -> call(HttpMethod.PUT, "/api/v1/clients/" + aliceClient + "/data",
                    TestSecrets.API_KEY, "{\"room\":\"7\",\"n\":1.50}"));
            recipes.put("PATCH /api/v1/clients/{clientId}/data", () -> call(HttpMethod.PATCH, "/api/v1/clients/" + aliceClient + "/data",
                    TestSecrets.API_KEY, "{\"room\":null,\"seen\":true}"));
            recipes.put("GET /api/v1/clients/{clientId}/data", () -> get("/api/v1/clients/" + aliceClient + "/data"));
            recipes.put("DELETE /api/v1/clients/{clientId}", () -> call(HttpMethod.DELETE, "/api/v1/clients/" + bobClient));
            recipes.put("DELETE /api/v1/uids/{uid}/sessions", () -> call(HttpMethod.DELETE, "/api/v1/uids/" + carol + "/sessions"));

            Set<String> apiOperations = new TreeSet<>(documentedOperations());
            apiOperations.removeIf(op -> !op.contains(" /api/"));
            apiOperations.remove("GET /api/v1/stream"); // an upgrade, 101: thePublishStreamMatchesTheSpec
            assertThat(recipes.keySet()).as("every documented API operation is exercised by this test")
                    .containsExactlyInAnyOrderElementsOf(apiOperations);

            Map<String, JsonNode> answers = new LinkedHashMap<>();
            recipes.forEach((operation, recipe) -> {
                Answer answer = recipe.get();
                assertThat(answer.status).as("%s answered %s", operation, answer).isEqualTo(200);
                assertConforms(operation, answer);
                answers.put(operation, answer.json());
            });

            // what a backend would notice, beyond the shapes
            assertThat(answers.get("GET /api/v1/uids/{uid}").path("clientIds").toString()).contains(aliceClient);
            assertThat(answers.get("GET /api/v1/groups/{group}").path("uids").toString()).contains(alice);
            assertThat(answers.get("PUT /api/v1/groups/{group}/uids/{uid}").path("sessions").asInt()).isEqualTo(1);
            assertThat(answers.get("PUT /api/v1/groups/{group}/clients/{clientId}").path("member").asBoolean()).isTrue();
            assertThat(answers.get("POST /api/v1/messages:batch").size()).isEqualTo(3);
            assertThat(answers.get("GET /api/v1/clients/{clientId}/data").toString()).isEqualTo("{\"n\":1.5,\"seen\":true}");
            assertThat(answers.get("DELETE /api/v1/clients/{clientId}").path("closed").asInt()).isEqualTo(1);
            assertThat(answers.get("DELETE /api/v1/uids/{uid}/sessions").path("closed").asInt()).isEqualTo(1);
            assertThat(bobWs.awaitClose().code()).isEqualTo(4403);
            assertThat(carolWs.awaitClose().code()).isEqualTo(4403);
            assertThat(closeCodes()).contains("4403");
        }
    }

    @Test
    void listsArePagedWithAfterLimitAndNextAsDocumented() {
        String prefix = uniqueUid("page");
        try (WsTestClient first = WsTestClient.connect(api.ws("token=" + token(prefix + "-a", List.of(prefix + "-g1", prefix + "-g2"), List.of())));
             WsTestClient second = WsTestClient.connect(api.ws("token=" + token(prefix + "-b")))) {
            first.nextOfType("welcome");
            second.nextOfType("welcome");
            assertPagedParameters("/api/v1/uids");
            assertPagedParameters("/api/v1/groups");

            Answer uids = get("/api/v1/uids?online=true&limit=1&after=" + prefix);
            assertConforms("GET /api/v1/uids", uids);
            assertThat(uids.json().path("uids").toString()).isEqualTo("[\"" + prefix + "-a\"]");
            assertThat(uids.json().path("next").asString()).isEqualTo(prefix + "-a");
            Answer nextUids = get("/api/v1/uids?limit=1&after=" + uids.json().path("next").asString());
            assertThat(nextUids.json().path("uids").toString()).isEqualTo("[\"" + prefix + "-b\"]");

            Answer groups = get("/api/v1/groups?limit=1&after=" + prefix);
            assertConforms("GET /api/v1/groups", groups);
            assertThat(groups.json().path("groups").path(0).path("group").asString()).isEqualTo(prefix + "-g1");
            assertThat(groups.json().path("next").isString()).isTrue();
        }
    }

    // ---------------------------------------------------------------- errors

    @Test
    void badInputAnswers400ProblemJsonAsDocumented() {
        String tooLong = "x".repeat(129);
        Map<String, List<Answer>> cases = new LinkedHashMap<>();
        cases.put("POST /api/v1/messages", List.of(
                post("/api/v1/messages", "{not json"),
                post("/api/v1/messages", ""),
                post("/api/v1/messages", "[]"),
                post("/api/v1/messages", "{\"event\":\"e\"}"),
                post("/api/v1/messages", "{\"to\":{\"uid\":[\"a\"]}}"),
                post("/api/v1/messages", "{\"to\":{}}"),
                post("/api/v1/messages", "{\"to\":{\"uids\":[\"a b\"]}}"),
                post("/api/v1/messages", "{\"to\":{\"all\":\"yes\"}}"),
                post("/api/v1/messages", "{\"to\":{\"uids\":[\"a\"]},\"ttl\":-1}"),
                post("/api/v1/messages", "{\"to\":{\"uids\":[\"a\"]},\"event\":7}")));
        cases.put("POST /api/v1/messages:batch", List.of(
                post("/api/v1/messages:batch", "{\"to\":{\"uids\":[\"a\"]}}"),
                post("/api/v1/messages:batch", "[{\"to\":{\"uids\":[\"a\"]}},{\"to\":{}}]")));
        cases.put("GET /api/v1/uids", List.of(
                get("/api/v1/uids?online=false"),
                get("/api/v1/uids?limit=0"),
                get("/api/v1/uids?limit=1001"),
                get("/api/v1/uids?limit=many")));
        cases.put("GET /api/v1/uids/{uid}", List.of(get("/api/v1/uids/" + tooLong)));
        cases.put("GET /api/v1/groups", List.of(get("/api/v1/groups?limit=0")));
        cases.put("GET /api/v1/groups/{group}", List.of(get("/api/v1/groups/" + tooLong)));
        cases.put("PUT /api/v1/groups/{group}/uids/{uid}", List.of(call(HttpMethod.PUT, "/api/v1/groups/g/uids/" + tooLong)));
        cases.put("DELETE /api/v1/groups/{group}/uids/{uid}", List.of(call(HttpMethod.DELETE, "/api/v1/groups/" + tooLong + "/uids/u")));
        cases.put("PUT /api/v1/groups/{group}/clients/{clientId}", List.of(call(HttpMethod.PUT, "/api/v1/groups/g/clients/" + tooLong)));
        cases.put("DELETE /api/v1/groups/{group}/clients/{clientId}", List.of(call(HttpMethod.DELETE, "/api/v1/groups/g/clients/" + tooLong)));
        cases.put("DELETE /api/v1/uids/{uid}/sessions", List.of(call(HttpMethod.DELETE, "/api/v1/uids/" + tooLong + "/sessions")));
        cases.put("DELETE /api/v1/clients/{clientId}", List.of(call(HttpMethod.DELETE, "/api/v1/clients/" + tooLong)));
        cases.put("GET /api/v1/clients/{clientId}/data", List.of(get("/api/v1/clients/" + tooLong + "/data")));
        cases.put("PUT /api/v1/clients/{clientId}/data", List.of(
                call(HttpMethod.PUT, "/api/v1/clients/x/data", TestSecrets.API_KEY, "[1]"),
                call(HttpMethod.PUT, "/api/v1/clients/x/data", TestSecrets.API_KEY, "{\"a\":"),
                call(HttpMethod.PUT, "/api/v1/clients/" + tooLong + "/data", TestSecrets.API_KEY, "{}")));
        cases.put("PATCH /api/v1/clients/{clientId}/data", List.of(
                call(HttpMethod.PATCH, "/api/v1/clients/x/data", TestSecrets.API_KEY, "\"text\"")));

        cases.forEach((operation, answers) -> answers.forEach(answer -> {
            assertThat(answer.status).as("%s: %s", operation, answer).isEqualTo(400);
            assertConforms(operation, answer);
            assertProblem(answer, "bad-request");
        }));
        Answer batchItem = cases.get("POST /api/v1/messages:batch").get(1);
        assertThat(batchItem.json().path("detail").asString()).as("a bad batch item is named by its index").startsWith("[1]: ");
    }

    @Test
    void everyApiOperationAnswers401WithoutAKeyOrWithAWrongOne() {
        List<String> operations = documentedOperations().stream().filter(op -> op.contains(" /api/")).toList();
        assertThat(operations).isNotEmpty();
        for (String operation : operations) {
            HttpMethod method = HttpMethod.valueOf(operation.substring(0, operation.indexOf(' ')));
            String uri = operation.substring(operation.indexOf(' ') + 1).replaceAll("\\{[^}]+}", "x");
            String body = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH ? "{}" : null;

            Answer missing = call(method, uri, null, body);
            assertThat(missing.status).as("%s without a key: %s", operation, missing).isEqualTo(401);
            assertConforms(operation, missing);
            assertProblem(missing, "missing-api-key");

            Answer wrong = call(method, uri, "Bearer not-the-api-key-0000", body);
            assertThat(wrong.status).as("%s with a wrong key: %s", operation, wrong).isEqualTo(401);
            assertConforms(operation, wrong);
            assertProblem(wrong, "invalid-api-key");
        }
    }

    @Test
    void theIndexAnswersWithoutCredentialsAsDocumented() {
        Answer json = Answer.of("GET / (Accept: */*)", http.get().uri("/").accept(MediaType.ALL)
                .exchange().expectBody().returnResult());
        assertConforms("GET /", json);
        Answer html = Answer.of("GET / (Accept: text/html)", http.get().uri("/").accept(MediaType.TEXT_HTML)
                .exchange().expectBody().returnResult());
        assertThat(html.status).isEqualTo(200);
        assertThat(operation("GET /").path("responses").path("200").path("content").has("text/html")).isTrue();
    }

    @Test
    void aBodyThatIsNotDeclaredJsonAnswers415AsDocumented() {
        for (String path : List.of("/api/v1/messages", "/api/v1/messages:batch")) {
            Answer form = Answer.of("POST " + path + " (form)", http.post().uri(path)
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY)
                    .contentType(MediaType.APPLICATION_FORM_URLENCODED).bodyValue("to=x")
                    .exchange().expectBody().returnResult());
            assertConforms("POST " + path, form);
            assertThat(form.status).isEqualTo(415);
            assertProblem(form, "unsupported-media-type");
        }
    }

    @Test
    void unknownRoutesMethodsAndMediaTypesAnswerProblemJsonAsDocumented() {
        Answer unknown = get("/api/v1/nothing-here");
        assertConformsAnyRequest(unknown, 404);
        assertProblem(unknown, "no-such-route");

        Answer unknownVersion = get("/api/v2/stats");
        assertConformsAnyRequest(unknownVersion, 404);
        assertProblem(unknownVersion, "no-such-route");

        Answer wrongMethod = call(HttpMethod.POST, "/api/v1/stats", TestSecrets.API_KEY, "{}");
        assertConformsAnyRequest(wrongMethod, 405);
        assertProblem(wrongMethod, "method-not-allowed");

        Answer notAcceptable = Answer.of("GET /api/v1/stats (Accept: text/plain)", http.get().uri("/api/v1/stats")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY).accept(MediaType.TEXT_PLAIN)
                .exchange().expectBody().returnResult());
        assertConformsAnyRequest(notAcceptable, 406);
        assertProblem(notAcceptable, "not-acceptable");

        Answer getOnPublish = get("/api/v1/messages");
        assertConformsAnyRequest(getOnPublish, 405);
        assertProblem(getOnPublish, "method-not-allowed");
    }

    @Test
    void unknownClientsAnswer404AsDocumented() {
        String nobody = uniqueUid("no-client");
        Map<String, Answer> cases = new LinkedHashMap<>();
        cases.put("DELETE /api/v1/clients/{clientId}", call(HttpMethod.DELETE, "/api/v1/clients/" + nobody));
        cases.put("PUT /api/v1/groups/{group}/clients/{clientId}", call(HttpMethod.PUT, "/api/v1/groups/g/clients/" + nobody));
        cases.put("DELETE /api/v1/groups/{group}/clients/{clientId}", call(HttpMethod.DELETE, "/api/v1/groups/g/clients/" + nobody));
        cases.forEach((operation, answer) -> {
            assertThat(answer.status).as("%s: %s", operation, answer).isEqualTo(404);
            assertConforms(operation, answer);
            assertProblem(answer, "client-not-found");
        });
    }

    @Test
    void aClientInItsMaximumNumberOfGroupsAnswers409AsDocumented() {
        String uid = uniqueUid("busy");
        List<String> groups = IntStream.range(0, 100).mapToObj(i -> uid + "-g" + i).toList(); // pushgate.session.max-groups
        try (WsTestClient client = WsTestClient.connect(api.ws(""),
                Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token(uid, groups, List.of())), List.of())) {
            JsonNode welcome = client.nextOfType("welcome");
            assertThat(welcome.path("groups").size()).isEqualTo(100);
            Answer answer = call(HttpMethod.PUT, "/api/v1/groups/" + uid + "-one-more/clients/" + welcome.path("clientId").asString());
            assertThat(answer.status).as("%s", answer).isEqualTo(409);
            assertConforms("PUT /api/v1/groups/{group}/clients/{clientId}", answer);
            assertProblem(answer, "too-many-groups");
        }
    }

    @Test
    void oversizedBodiesAnswer413AsDocumented() {
        String big = "{\"to\":{\"uids\":[\"" + uniqueUid("nobody") + "\"]},\"data\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}";

        Answer declared = post("/api/v1/messages", big);
        assertThat(declared.status).as("%s", declared).isEqualTo(413);
        assertConforms("POST /api/v1/messages", declared);
        assertProblem(declared, "body-too-large");

        Answer declaredBatch = post("/api/v1/messages:batch", "[" + big + "]");
        assertThat(declaredBatch.status).as("%s", declaredBatch).isEqualTo(413);
        assertConforms("POST /api/v1/messages:batch", declaredBatch);
        assertProblem(declaredBatch, "body-too-large");

        // no Content-Length: the body is cut while it streams in
        byte[] bytes = ("[" + big + "]").getBytes(StandardCharsets.UTF_8);
        Flux<DataBuffer> chunks = Flux.range(0, (bytes.length + 65535) / 65536).map(i -> DefaultDataBufferFactory.sharedInstance
                .wrap(java.util.Arrays.copyOfRange(bytes, i * 65536, Math.min(bytes.length, (i + 1) * 65536))));
        EntityExchangeResult<byte[]> streamed = http.post().uri("/api/v1/messages:batch")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY)
                .contentType(MediaType.APPLICATION_JSON)
                .body(chunks, DataBuffer.class)
                .exchange().expectBody().returnResult();
        assertThat(streamed.getRequestHeaders().getContentLength()).as("sanity: the request is chunked").isEqualTo(-1);
        Answer streamedAnswer = Answer.of("POST /api/v1/messages:batch (chunked)", streamed);
        assertThat(streamedAnswer.status).as("%s", streamedAnswer).isEqualTo(413);
        assertConforms("POST /api/v1/messages:batch", streamedAnswer);
        assertProblem(streamedAnswer, "body-too-large");
    }

    // ---------------------------------------------------------------- the /ws upgrade

    @Test
    void theWebSocketUpgradeMatchesTheSpec() {
        JsonNode upgrade = operation("GET /ws");
        assertThat(upgrade.path("responses").has("101")).isTrue();

        String uid = uniqueUid("upgrade");
        try (WsTestClient byQuery = WsTestClient.connect(api.ws("token=" + token(uid)));
             WsTestClient byHeader = WsTestClient.connect(api.ws(""), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token(uid)), List.of());
             WsTestClient bySubprotocol = WsTestClient.connect(api.ws(""), Map.of(), List.of("bearer", token(uid)))) {
            for (WsTestClient client : List.of(byQuery, byHeader, bySubprotocol)) {
                assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo(uid);
            }
            assertThat(bySubprotocol.subprotocol()).isEqualTo("bearer");
            JsonNode echoed = openapi.deref(upgrade.path("responses").path("101").path("headers").path("Sec-WebSocket-Protocol"));
            assertThat(openapi.validate(echoed.path("schema"), JSON.valueToTree(bySubprotocol.subprotocol()))).isEmpty();
        }

        String bad = TestSecrets.signedWithOtherSecret(uid);
        List<Supplier<WsTestClient>> refused = List.of(
                () -> WsTestClient.connect(api.ws("token=" + bad)),
                () -> WsTestClient.connect(api.ws(""), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + bad), List.of()),
                () -> WsTestClient.connect(api.ws(""), Map.of(), List.of("bearer", bad)),
                () -> WsTestClient.connect(api.ws("token=" + token(uid, Duration.ofMinutes(-1), List.of(), List.of()))));
        for (Supplier<WsTestClient> connect : refused) {
            assertThatThrownBy(connect::get).isInstanceOfSatisfying(WsTestClient.HandshakeRefused.class,
                    e -> assertThat(e.status).isEqualTo(401));
        }

        EntityExchangeResult<byte[]> result = http.get().uri("/ws?token=" + bad)
                .header("Upgrade", "websocket").header("Connection", "Upgrade")
                .header("Sec-WebSocket-Version", "13").header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                .exchange().expectBody().returnResult();
        Answer answer = Answer.of("GET /ws?token=<bad>", result);
        assertThat(answer.status).isEqualTo(401);
        assertConforms("GET /ws", answer);
        assertProblem(answer, "invalid-token");
        JsonNode authenticate = openapi.deref(upgrade.path("responses").path("401").path("headers").path("WWW-Authenticate"));
        assertThat(openapi.validate(authenticate.path("schema"),
                JSON.valueToTree(answer.headers.getFirst(HttpHeaders.WWW_AUTHENTICATE)))).isEmpty();

        Answer notAnUpgrade = Answer.of("GET /ws (plain)", http.get().uri("/ws").exchange().expectBody().returnResult());
        assertThat(notAnUpgrade.status).isEqualTo(400);
        assertConforms("GET /ws", notAnUpgrade);
    }

    // ---------------------------------------------------------------- the publish stream

    @Test
    void thePublishStreamMatchesTheSpec() {
        JsonNode upgrade = operation("GET /api/v1/stream");
        assertThat(upgrade.path("responses").has("101")).isTrue();
        URI stream = URI.create("ws://localhost:" + port + "/api/v1/stream");
        String uid = uniqueUid("stream");
        try (WsTestClient session = WsTestClient.connect(api.ws("token=" + token(uid)));
             WsTestClient backend = WsTestClient.connect(stream, Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY), List.of())) {
            session.nextOfType("welcome");
            Map<String, Object> publish = new LinkedHashMap<>();
            publish.put("ref", 1);
            publish.put("to", Map.of("uids", List.of(uid, uniqueUid("offline"))));
            publish.put("event", "new_msg");
            publish.put("data", Map.of("n", 1));
            assertFrame("streamPublish", JSON.valueToTree(publish));
            backend.sendJson(publish);
            JsonNode ok = assertFrame("streamAnswer", backend.next());
            assertThat(ok.path("ok").asBoolean()).isTrue();
            assertThat(session.nextMessage().path("id").asString()).isEqualTo(ok.path("id").asString());

            String key = uniqueUid("key");
            backend.send("{\"ref\":\"k\",\"to\":{\"all\":true},\"idempotencyKey\":\"" + key + "\"}");
            assertFrame("streamAnswer", backend.next());
            backend.send("{\"ref\":\"k\",\"to\":{\"all\":true},\"idempotencyKey\":\"" + key + "\"}");
            assertThat(assertFrame("streamAnswer", backend.next()).path("duplicate").asBoolean()).isTrue();

            backend.send("{\"ref\":2,\"to\":{\"uidz\":[]}}");
            JsonNode error = assertFrame("streamAnswer", backend.next());
            assertThat(error.path("ok").asBoolean()).isFalse();
            assertThat(openapi.validate(openapi.resolve("#/components/schemas/Problem"), error.path("error"))).isEmpty();
        }

        Answer notAnUpgrade = Answer.of("GET /api/v1/stream (plain)", http.get().uri("/api/v1/stream")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestSecrets.API_KEY).exchange().expectBody().returnResult());
        assertThat(notAnUpgrade.status).isEqualTo(400);
        assertConforms("GET /api/v1/stream", notAnUpgrade);
        assertProblem(notAnUpgrade, "bad-request");
    }

    // ---------------------------------------------------------------- WebSocket frames (asyncapi.yaml)

    @Test
    void webSocketFramesMatchTheAsyncApiPayloads() {
        String uid = uniqueUid("frames");
        String room = uniqueUid("room");
        String other = uniqueUid("closed-room");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid, List.of(room), List.of(room))))) {
            JsonNode welcome = client.nextOfType("welcome");
            assertFrame("welcome", welcome);
            assertThat(welcome.path("groups").toString()).isEqualTo("[\"" + room + "\"]");
            String clientId = welcome.path("clientId").asString();

            api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"new_msg\",\"data\":{\"text\":\"hi\"}}".formatted(uid));
            assertThat(assertFrame("message", client.nextMessage()).path("to").path("uid").asString()).isEqualTo(uid);
            api.publish("{\"to\":{\"clients\":[\"%s\"]}}".formatted(clientId));
            JsonNode toClient = assertFrame("message", client.nextMessage());
            assertThat(toClient.path("to").path("client").asString()).isEqualTo(clientId);
            assertThat(toClient.path("event").asString()).isEqualTo("message");
            assertThat(toClient.path("data").isNull()).isTrue();

            sendClientFrame(client, "leave", Map.of("type", "leave", "group", room, "ref", 1));
            assertReply(client.next(isReply(1)), true);
            sendClientFrame(client, "join", Map.of("type", "join", "group", room, "ref", 2));
            assertReply(client.next(isReply(2)), true);
            sendClientFrame(client, "publish", Map.of("type", "publish", "group", room, "event", "chat", "data", List.of(1, 2), "ref", 3));
            // the message is queued to the publisher (a member) before the reply
            assertThat(assertFrame("message", client.nextMessage()).path("to").path("group").asString()).isEqualTo(room);
            JsonNode published = client.next(isReply(3));
            assertReply(published, true);
            assertThat(published.path("result").path("sessions").asInt()).isEqualTo(1);

            sendClientFrame(client, "clientPing", Map.of("type", "ping", "ref", 4));
            assertFrame("serverPong", client.nextOfType("pong"));
            assertReply(client.next(isReply(4)), true);
            sendClientFrame(client, "clientPong", Map.of("type", "pong"));

            client.send("{\"type\":\"subscribe\",\"ref\":5}");
            assertThat(assertReply(client.next(isReply(5)), false)).isEqualTo("unknown_type");
            client.send("not json");
            assertThat(assertReply(client.nextOfType("reply"), false)).isEqualTo("bad_json");
            client.send("{\"type\":\"join\",\"group\":\"" + other + "\",\"ref\":6}");
            assertThat(assertReply(client.next(isReply(6)), false)).isEqualTo("forbidden");
            client.send("{\"type\":\"join\",\"group\":7,\"ref\":7}");
            assertThat(assertReply(client.next(isReply(7)), false)).isEqualTo("bad_frame");
            client.send("{\"type\":\"refresh\",\"token\":\"" + TestSecrets.signedWithOtherSecret(uid) + "\",\"ref\":8}");
            assertThat(assertReply(client.next(isReply(8)), false)).isEqualTo("invalid_token");
            client.send("{\"type\":\"auth\",\"token\":\"" + token(uid) + "\",\"ref\":9}");
            assertThat(assertReply(client.next(isReply(9)), false)).isEqualTo("already_authenticated");
        }
    }

    @Test
    void aConnectionWithoutTokenAuthenticatesWithAnAuthFrameAsDocumented() {
        String uid = uniqueUid("late");
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.send("{\"type\":\"join\",\"group\":\"g\",\"ref\":1}");
            assertThat(assertReply(client.next(isReply(1)), false)).isEqualTo("unauthorized");
            sendClientFrame(client, "auth", Map.of("type", "auth", "token", token(uid)));
            assertThat(assertFrame("welcome", client.nextOfType("welcome")).path("uid").asString()).isEqualTo(uid);
            sendClientFrame(client, "refresh", Map.of("type", "refresh", "token", token(uid), "ref", 2));
            assertReply(client.next(isReply(2)), true);
        }
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.send("{\"type\":\"auth\",\"token\":\"" + TestSecrets.signedWithOtherSecret(uid) + "\"}");
            int code = client.awaitClose().code();
            assertThat(code).isEqualTo(4401);
            assertThat(closeCodes()).contains(String.valueOf(code));
        }
    }

    @Test
    void theHeartbeatPingMatchesItsPayload() {
        JsonFrames frames = context.getBean(JsonFrames.class);
        assertFrame("serverPing", JSON.readTree(frames.ping(context.getBean(PushNode.class).currentCursor().text()).json()));
        assertFrame("serverPong", JSON.readTree(frames.pong().json()));
    }

    // ---------------------------------------------------------------- cursors on the WebSocket

    @Test
    void aMalformedCursorIsRefusedBeforeTheUpgradeAsDocumented() {
        String uid = uniqueUid("cursor");
        assertThatThrownBy(() -> WsTestClient.connect(api.ws("token=" + token(uid) + "&cursor=garbage")))
                .isInstanceOfSatisfying(WsTestClient.HandshakeRefused.class, e -> assertThat(e.status).isEqualTo(400));
        for (String query : List.of("token=" + token(uid) + "&cursor=garbage", "cursor=a-b-c-d", "cursor=abcde-1-" + "1".repeat(70))) {
            EntityExchangeResult<byte[]> result = http.get().uri("/ws?" + query)
                    .header("Upgrade", "websocket").header("Connection", "Upgrade")
                    .header("Sec-WebSocket-Version", "13").header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                    .exchange().expectBody().returnResult();
            Answer answer = Answer.of("GET /ws?" + query, result);
            assertThat(answer.status).as("%s", answer).isEqualTo(400);
            assertConforms("GET /ws", answer);
            assertProblem(answer, "bad-request");
        }
    }

    @Test
    void resumeReplyAndResetFramesMatchTheAsyncApiPayloads() {
        String uid = uniqueUid("resume");
        String start;
        try (WsTestClient first = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            start = assertFrame("welcome", first.nextOfType("welcome")).path("cursor").asString();
        }
        String missed1 = api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"m1\",\"data\":1}".formatted(uid)).path("id").asString();
        String missed2 = api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"m2\",\"data\":2}".formatted(uid)).path("id").asString();
        assertThat(openapi.validate("#/components/schemas/Cursor", JSON.valueToTree(missed1))).isEmpty();
        String otherEpoch = (start.startsWith("zzzzz-") ? "yyyyy" : "zzzzz") + "-1-1";

        // the resume frame replays what was published before this session connected
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid)))) {
            JsonNode welcome = assertFrame("welcome", client.nextOfType("welcome"));
            assertThat(welcome.path("cursor").asString()).isNotEqualTo(start);
            sendClientFrame(client, "resume", Map.of("type", "resume", "cursor", start, "ref", 1));
            assertThat(assertFrame("message", client.nextMessage()).path("id").asString()).isEqualTo(missed1);
            assertThat(assertFrame("message", client.nextMessage()).path("id").asString()).isEqualTo(missed2);
            JsonNode replayed = client.next(isReply(1));
            assertReply(replayed, true);
            assertThat(replayed.path("result").toString()).isEqualTo("{\"replayed\":2,\"reset\":false}");

            // a cursor of another epoch (a node that lost its history): reset, then the reply
            sendClientFrame(client, "resume", Map.of("type", "resume", "cursor", otherEpoch, "ref", 2));
            JsonNode reset = assertFrame("reset", client.nextOfType("reset"));
            assertThat(openapi.validate("#/components/schemas/ResetFrame", reset)).isEmpty();
            JsonNode resetReply = client.next(isReply(2));
            assertReply(resetReply, true);
            assertThat(resetReply.path("result").toString()).isEqualTo("{\"replayed\":0,\"reset\":true}");

            client.send("{\"type\":\"resume\",\"ref\":3}");
            assertThat(assertReply(client.next(isReply(3)), false)).isEqualTo("bad_cursor");
            client.send("{\"type\":\"resume\",\"cursor\":\"garbage\",\"ref\":4}");
            assertThat(assertReply(client.next(isReply(4)), false)).isEqualTo("bad_cursor");
            client.send("{\"type\":\"resume\",\"cursor\":7,\"ref\":5}");
            assertThat(assertReply(client.next(isReply(5)), false)).isEqualTo("bad_frame");
        }

        // ?cursor= on connect: welcome, then the missed messages
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid) + "&cursor=" + start))) {
            assertFrame("welcome", client.next());
            assertThat(assertFrame("message", client.next()).path("id").asString()).isEqualTo(missed1);
            assertThat(assertFrame("message", client.next()).path("id").asString()).isEqualTo(missed2);
        }
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid) + "&cursor=" + otherEpoch))) {
            assertFrame("welcome", client.next());
            assertFrame("reset", client.next());
        }

        // the auth frame may carry the cursor; a malformed one leaves the connection unauthenticated
        try (WsTestClient client = WsTestClient.connect(api.ws(""))) {
            client.send("{\"type\":\"auth\",\"token\":\"" + token(uid) + "\",\"cursor\":\"garbage\",\"ref\":1}");
            assertThat(assertReply(client.next(isReply(1)), false)).isEqualTo("bad_cursor");
            sendClientFrame(client, "auth", Map.of("type", "auth", "token", token(uid), "cursor", start));
            assertFrame("welcome", client.next());
            assertThat(assertFrame("message", client.next()).path("id").asString()).isEqualTo(missed1);
            assertThat(assertFrame("message", client.next()).path("id").asString()).isEqualTo(missed2);
        }
    }

    // ---------------------------------------------------------------- /sse, /poll, /client/**

    @Test
    void clientRoutesAnswer401WithoutATokenOrWithABadOneAsDocumented() {
        List<String> operations = documentedOperations().stream()
                .filter(op -> !op.contains(" /api/") && !op.contains(" /admin/") && !op.equals("GET /ws") && !op.equals("GET /"))
                .toList(); // /ws and / are public; /admin/api/** takes an admin key (AdminApiTests)
        assertThat(operations).containsExactlyInAnyOrder("GET /sse", "GET /poll",
                "POST /client/join", "POST /client/leave", "POST /client/publish", "POST /client/send", "POST /client/rpc");
        String uid = uniqueUid("no-token");
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("other secret", TestSecrets.signedWithOtherSecret(uid));
        bad.put("expired", token(uid, Duration.ofMinutes(-1), List.of(), List.of()));
        bad.put("not a JWT", "not-a-jwt");
        for (String operation : operations) {
            Set<String> schemes = new TreeSet<>();
            operation(operation).path("security").forEach(requirement -> schemes.addAll(requirement.propertyNames()));
            assertThat(schemes).as("token carriers of %s", operation)
                    .containsExactlyInAnyOrder("clientToken", "clientTokenQuery", "clientTokenCookie");

            HttpMethod method = HttpMethod.valueOf(operation.substring(0, operation.indexOf(' ')));
            String uri = operation.substring(operation.indexOf(' ') + 1);
            String body = method == HttpMethod.POST ? "{}" : null;

            Answer missing = exchange(method, uri, Map.of(), body);
            assertThat(missing.status).as("%s without a token: %s", operation, missing).isEqualTo(401);
            assertConforms(operation, missing);
            assertProblem(missing, "missing-token");

            bad.forEach((why, token) -> {
                List<Answer> answers = List.of(
                        exchange(method, uri, Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token), body),
                        exchange(method, uri + "?token=" + token, Map.of(), body),
                        exchange(method, uri, Map.of(HttpHeaders.COOKIE, "pushgate_token=" + token, "Sec-Fetch-Site", "same-origin"), body));
                for (Answer answer : answers) {
                    assertThat(answer.status).as("%s with a token (%s): %s", operation, why, answer).isEqualTo(401);
                    assertConforms(operation, answer);
                    assertProblem(answer, "invalid-token");
                    assertDocumentedHeader(operation, answer, "WWW-Authenticate");
                }
            });
        }
    }

    @Test
    void clientRoutesAnswerProblemJsonForUnknownPathsAndMethods() {
        Map<String, String> auth = Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token(uniqueUid("lost")));
        Answer unknown = exchange(HttpMethod.POST, "/client/nothing-here", auth, "{}");
        assertConformsAnyRequest(unknown, 404);
        assertProblem(unknown, "no-such-route");
        Answer getOnJoin = exchange(HttpMethod.GET, "/client/join", auth, null);
        assertConformsAnyRequest(getOnJoin, 405);
        assertProblem(getOnJoin, "method-not-allowed");
        Answer postOnPoll = exchange(HttpMethod.POST, "/poll", auth, "{}");
        assertConformsAnyRequest(postOnPoll, 405);
        assertProblem(postOnPoll, "method-not-allowed");
        Map<String, String> textOnly = new LinkedHashMap<>(auth);
        textOnly.put(HttpHeaders.ACCEPT, MediaType.TEXT_PLAIN_VALUE);
        Answer notAcceptable = exchange(HttpMethod.POST, "/client/publish", textOnly, "{\"group\":\"g\"}");
        assertConformsAnyRequest(notAcceptable, 406);
        assertProblem(notAcceptable, "not-acceptable");
    }

    @Test
    void clientEndpointsAnswerAsDocumented() {
        String uid = uniqueUid("cmd");
        String room = uniqueUid("room");
        String closed = uniqueUid("closed");
        String token = token(uid, List.of(room), List.of(room));
        try (WsTestClient own = WsTestClient.connect(api.ws("token=" + token));
             WsTestClient stranger = WsTestClient.connect(api.ws("token=" + token(uniqueUid("stranger"), List.of(room), List.of())))) {
            String clientId = own.nextOfType("welcome").path("clientId").asString();
            String strangerId = stranger.nextOfType("welcome").path("clientId").asString();

            Answer leave = clientPost("POST /client/leave", token, Map.of("clientId", clientId, "group", room));
            assertThat(leave.status).as("%s", leave).isEqualTo(200);
            assertConforms("POST /client/leave", leave);
            assertThat(api.get("/api/v1/groups/" + room).path("clientIds").toString()).doesNotContain(clientId);
            Answer join = clientPost("POST /client/join", token, Map.of("clientId", clientId, "group", room));
            assertThat(join.status).as("%s", join).isEqualTo(200);
            assertConforms("POST /client/join", join);
            assertThat(join.json().toString()).isEqualTo("{\"ok\":true}");
            assertThat(api.get("/api/v1/groups/" + room).path("clientIds").toString()).contains(clientId);

            Answer publish = clientPost("POST /client/publish", token, Map.of("group", room, "event", "chat", "data", Map.of("text", "hi")));
            assertThat(publish.status).as("%s", publish).isEqualTo(200);
            assertConforms("POST /client/publish", publish);
            assertThat(publish.json().path("sessions").asInt()).isEqualTo(2);
            JsonNode received = assertFrame("message", own.nextMessage());
            assertThat(received.path("id").asString()).isEqualTo(publish.json().path("id").asString());
            assertThat(received.path("to").path("group").asString()).isEqualTo(room);
            Answer nullEvent = clientPost("POST /client/publish", token, JSON.createObjectNode().put("group", room).putNull("event"));
            assertThat(nullEvent.status).as("%s", nullEvent).isEqualTo(200);
            assertThat(own.nextMessage().path("event").asString()).isEqualTo("message");

            Map<String, Answer> forbidden = new LinkedHashMap<>();
            forbidden.put("POST /client/join", clientPost("POST /client/join", token, Map.of("clientId", clientId, "group", closed)));
            forbidden.put("POST /client/publish", clientPost("POST /client/publish", token, Map.of("group", closed)));
            forbidden.forEach((operation, answer) -> {
                assertThat(answer.status).as("%s", answer).isEqualTo(403);
                assertConforms(operation, answer);
                assertProblem(answer, "forbidden");
            });

            for (String operation : List.of("POST /client/join", "POST /client/leave")) {
                for (String someone : List.of(uniqueUid("nobody"), strangerId)) {
                    Answer answer = clientPost(operation, token, Map.of("clientId", someone, "group", room));
                    assertThat(answer.status).as("%s", answer).isEqualTo(404);
                    assertConforms(operation, answer);
                    assertProblem(answer, "client-not-found");
                }
            }

            Map<String, List<String>> badBodies = new LinkedHashMap<>();
            badBodies.put("POST /client/join", List.of("{not json", "", "[]", "{\"clientId\":7,\"group\":\"" + room + "\"}",
                    "{\"clientId\":\"" + clientId + "\"}", "{\"clientId\":\"" + clientId + "\",\"group\":\"a b\"}"));
            badBodies.put("POST /client/leave", List.of("{}", "{\"clientId\":\"" + clientId + "\",\"group\":7}"));
            badBodies.put("POST /client/publish", List.of("{}", "{\"group\":\"a b\"}", "{\"group\":\"" + room + "\",\"event\":7}",
                    "{\"group\":\"" + room + "\",\"event\":\"a b\"}"));
            badBodies.forEach((operation, bodies) -> bodies.forEach(body -> {
                Answer answer = exchange(HttpMethod.POST, path(operation), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token), body);
                assertThat(answer.status).as("%s", answer).isEqualTo(400);
                assertConforms(operation, answer);
                assertProblem(answer, "bad-request");
            }));

            String big = "x".repeat(64 * 1024 + 1);
            for (String operation : List.of("POST /client/join", "POST /client/leave", "POST /client/publish")) {
                Answer answer = clientPost(operation, token, Map.of("clientId", clientId, "group", room, "data", big));
                assertThat(answer.status).as("%s", answer).isEqualTo(413);
                assertConforms(operation, answer);
                assertProblem(answer, "body-too-large");
            }
        }
    }

    @Test
    void aClientJoiningOverItsGroupLimitAnswers409AsDocumented() {
        String uid = uniqueUid("crowded");
        List<String> groups = IntStream.range(0, 101).mapToObj(i -> uid + "-g" + i).toList(); // one over pushgate.session.max-groups
        String token = token(uid, groups, List.of());
        try (WsTestClient client = WsTestClient.connect(api.ws(""), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token), List.of())) {
            JsonNode welcome = client.nextOfType("welcome");
            assertThat(welcome.path("groups").size()).isEqualTo(100);
            String left = groups.stream().filter(g -> !welcome.path("groups").toString().contains("\"" + g + "\"")).findFirst().orElseThrow();
            Answer answer = clientPost("POST /client/join", token, Map.of("clientId", welcome.path("clientId").asString(), "group", left));
            assertThat(answer.status).as("%s", answer).isEqualTo(409);
            assertConforms("POST /client/join", answer);
            assertProblem(answer, "too-many-groups");
        }
    }

    @Test
    void longPollAnswersAsDocumented() throws Exception {
        String uid = uniqueUid("poller");
        String token = token(uid);
        JsonNode held = api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"held\",\"data\":{\"n\":1},\"ttl\":60}".formatted(uid));
        assertThat(held.path("offline").toString()).contains(uid);

        // no cursor: at once, with what was held for the uid under a ttl
        Answer first = poll(token, null);
        assertThat(first.headers.getCacheControl()).isEqualTo("no-store");
        assertDocumentedHeader("GET /poll", first, "Cache-Control");
        JsonNode messages = first.json().path("messages");
        assertThat(messages.size()).as("%s", first).isEqualTo(1);
        assertThat(messages.path(0).path("id").asString()).isEqualTo(held.path("id").asString());
        String cursor = first.json().path("cursor").asString();
        assertThat(cursor).contains("~");
        String clientId = cursor.substring(cursor.indexOf('~') + 1);
        assertThat(api.get("/api/v1/uids/" + uid).path("clientIds").toString()).contains(clientId);

        // messages after the cursor: at once
        String published = api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"now\",\"data\":[1]}".formatted(uid)).path("id").asString();
        Answer second = poll(token, cursor);
        assertThat(second.json().path("messages").toString()).contains(published);
        String next = second.json().path("cursor").asString();
        assertThat(next).isNotEqualTo(cursor).endsWith("~" + clientId);

        // nothing after it: waits pushgate.poll.hold, then no messages and a cursor at the same position
        long started = System.nanoTime();
        Answer empty = poll(token, next);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(POLL_HOLD.minusMillis(50));
        assertThat(empty.json().path("messages").size()).isZero();
        String idle = empty.json().path("cursor").asString();
        assertThat(idle.split("~")[1]).isEqualTo(clientId);
        assertThat(idle.split("-")[0] + "-" + idle.split("-")[1]).isEqualTo(next.split("-")[0] + "-" + next.split("-")[1]);

        // a message published while a poll waits answers it
        String woken = null;
        for (int attempt = 0; attempt < 5 && woken == null; attempt++) {
            String from = next;
            CompletableFuture<Answer> waiting = CompletableFuture.supplyAsync(() -> poll(token, from));
            String id = api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"late\"}".formatted(uid)).path("id").asString();
            Answer answer = waiting.get(10, TimeUnit.SECONDS);
            next = answer.json().path("cursor").asString();
            if (answer.json().path("messages").toString().contains(id)) {
                woken = id;
            }
        }
        assertThat(woken).as("a publish answered a waiting poll").isNotNull();

        // a bare message id starts a new session from there
        Answer fromId = poll(token, held.path("id").asString());
        assertThat(fromId.json().path("messages").toString()).contains(published).doesNotContain(held.path("id").asString());
        assertThat(fromId.json().path("cursor").asString()).doesNotEndWith("~" + clientId);

        // past the window (another epoch): a reset frame and the current position
        Answer reset = poll(token, (cursor.startsWith("zzzzz-") ? "yyyyy" : "zzzzz") + "-1-1~" + clientId);
        JsonNode resetFrame = reset.json().path("messages").path(0);
        assertThat(reset.json().path("messages").size()).isEqualTo(1);
        assertFrame("reset", resetFrame);

        // the token may travel as ?token= or the pushgate_token cookie (from pushgate's own pages: a browser
        // sends Sec-Fetch-Site, and no Origin on a same-origin GET)
        Answer byQuery = exchange(HttpMethod.GET, "/poll?token=" + token, Map.of(), null);
        assertThat(byQuery.status).as("%s", byQuery).isEqualTo(200);
        assertConforms("GET /poll", byQuery);
        Answer byCookie = exchange(HttpMethod.GET, "/poll", Map.of(HttpHeaders.COOKIE, "pushgate_token=" + token, "Sec-Fetch-Site", "same-origin"), null);
        assertThat(byCookie.status).as("%s", byCookie).isEqualTo(200);
        assertConforms("GET /poll", byCookie);

        for (String bad : List.of("garbage", "a-b-c-d", "abcde-1-1~", "abcde-1-" + "1".repeat(70), "abcde-zz-!")) {
            Answer answer = exchange(HttpMethod.GET, "/poll?cursor=" + bad, Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token), null);
            assertThat(answer.status).as("%s", answer).isEqualTo(400);
            assertConforms("GET /poll", answer);
            assertProblem(answer, "bad-request");
        }
    }

    @Test
    void theSseStreamMatchesTheSpec() {
        String uid = uniqueUid("sse");
        String room = uniqueUid("room");
        String token = token(uid, List.of(room), List.of(room));
        String lastId;
        try (SseStream stream = SseStream.open(sse(""), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token))) {
            assertStreamConforms(stream);
            SseStream.Event retry = stream.next();
            assertThat(retry.retry()).as("%s", retry).isEqualTo("3000");
            assertThat(retry.data()).isNull();
            SseStream.Event welcomeEvent = stream.next();
            assertThat(welcomeEvent.event()).isEqualTo("welcome");
            JsonNode welcome = assertFrame("welcome", welcomeEvent.json());
            assertThat(welcomeEvent.id()).isEqualTo(welcome.path("cursor").asString());
            assertThat(welcome.path("heartbeat").asInt()).isEqualTo(15000);
            assertThat(welcome.path("groups").toString()).isEqualTo("[\"" + room + "\"]");
            String clientId = welcome.path("clientId").asString();
            assertThat(api.get("/api/v1/stats").path("total").path("sessionsByTransport").path("sse").asInt()).isPositive();

            JsonNode published = api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"new_msg\",\"data\":{\"text\":\"hi\"}}".formatted(uid));
            SseStream.Event message = stream.nextData();
            assertThat(message.event()).isEqualTo("new_msg");
            assertThat(message.id()).isEqualTo(published.path("id").asString());
            JsonNode frame = assertFrame("message", message.json());
            assertThat(frame.path("id").asString()).isEqualTo(message.id());
            assertThat(frame.path("to").path("uid").asString()).isEqualTo(uid);

            // the client endpoints act on this stream's session
            assertThat(clientPost("POST /client/leave", token, Map.of("clientId", clientId, "group", room)).status).isEqualTo(200);
            assertThat(clientPost("POST /client/join", token, Map.of("clientId", clientId, "group", room)).status).isEqualTo(200);
            Answer publish = clientPost("POST /client/publish", token, Map.of("group", room, "event", "chat", "data", 1));
            assertThat(publish.status).as("%s", publish).isEqualTo(200);
            SseStream.Event chat = stream.nextData();
            assertThat(chat.event()).isEqualTo("chat");
            assertThat(assertFrame("message", chat.json()).path("to").path("group").asString()).isEqualTo(room);
            lastId = chat.id();

            // the server ends the session: a close event, then the end of the response
            api.delete("/api/v1/clients/" + clientId, 200);
            SseStream.Event close = stream.nextData();
            assertThat(close.event()).isEqualTo("close");
            assertThat(assertFrame("close", close.json()).path("code").asInt()).isEqualTo(4403);
            assertThat(closeCodes()).contains("4403");
            stream.awaitEnd();
        }

        // Last-Event-ID resumes: the missed message comes first
        String missed = api.publish("{\"to\":{\"uids\":[\"%s\"]},\"event\":\"missed\"}".formatted(uid)).path("id").asString();
        try (SseStream stream = SseStream.open(sse(""), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token, "Last-Event-ID", lastId))) {
            assertStreamConforms(stream);
            assertThat(stream.nextData().event()).isEqualTo("welcome");
            SseStream.Event replayed = stream.nextData();
            assertThat(replayed.id()).isEqualTo(missed);
            assertFrame("message", replayed.json());
        }
        // ?lastEventId= and the cookie carrier; a cursor of another epoch gets a reset event
        String otherEpoch = (lastId.startsWith("zzzzz-") ? "yyyyy" : "zzzzz") + "-1-1";
        try (SseStream stream = SseStream.open(sse("lastEventId=" + otherEpoch), Map.of(HttpHeaders.COOKIE, "pushgate_token=" + token, "Sec-Fetch-Site", "same-origin"))) {
            assertStreamConforms(stream);
            assertThat(stream.nextData().event()).isEqualTo("welcome");
            SseStream.Event reset = stream.nextData();
            assertThat(reset.event()).isEqualTo("reset");
            JsonNode resetFrame = assertFrame("reset", reset.json());
            assertThat(reset.id()).isEqualTo(resetFrame.path("cursor").asString());
        }

        Map<String, String> auth = Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token);
        Map<String, String> badHeader = new LinkedHashMap<>(auth);
        badHeader.put("Last-Event-ID", "garbage");
        for (Answer answer : List.of(exchange(HttpMethod.GET, "/sse", badHeader, null),
                exchange(HttpMethod.GET, "/sse?lastEventId=a-b-c-d", auth, null))) {
            assertThat(answer.status).as("%s", answer).isEqualTo(400);
            assertConforms("GET /sse", answer);
            assertProblem(answer, "bad-request");
        }
    }

    @Test
    void theCloseFrameMatchesItsPayloads() {
        JsonNode close = JSON.readTree(context.getBean(JsonFrames.class).close(4403, "kicked").json());
        assertFrame("close", close);
        assertThat(openapi.validate("#/components/schemas/CloseFrame", close)).isEmpty();
        JsonNode sseChannel = asyncapi.resolve("#/channels/sse/messages");
        assertThat(sseChannel.propertyNames()).containsExactlyInAnyOrder("welcome", "message", "reset", "close");
        assertThat(asyncapi.resolve("#/channels/poll/messages").propertyNames()).containsExactlyInAnyOrder("message", "reset", "close");
    }

    // ---------------------------------------------------------------- stable codes in the source

    @Test
    void everyProblemTypeTheCodeCanAnswerIsListed() throws IOException {
        Set<String> listed = new TreeSet<>();
        openapi.resolve("#/components/schemas/Problem/properties/type/enum").forEach(t -> listed.add(t.asString()));
        Set<String> inCode = new TreeSet<>();
        inCode.addAll(matches(MAIN_SOURCES, Pattern.compile("new Problem\\(\\s*\"([a-z-]+)\"")));
        // slugs chosen by a condition: every string literal in the first argument
        for (String firstArgument : matches(MAIN_SOURCES, Pattern.compile("new Problem\\(([^,\"]*\\?[^,]*),"))) {
            Matcher literal = Pattern.compile("\"([a-z-]+)\"").matcher(firstArgument);
            while (literal.find()) {
                inCode.add(literal.group(1));
            }
        }
        assertThat(inCode).as("sanity: slugs found in the source")
                .contains("bad-request", "client-not-found", "missing-token", "too-many-sessions", "shutting-down");
        assertThat(inCode.stream().map(s -> PROBLEM + s).toList()).as("problem types the code can answer")
                .isSubsetOf(listed);
    }

    @Test
    void everyReplyErrorCodeAndCloseCodeInTheCodeIsListed() throws IOException {
        Set<String> listed = new TreeSet<>();
        asyncapi.resolve("#/components/schemas/ErrorCode/enum").forEach(c -> listed.add(c.asString()));
        Path ws = MAIN_SOURCES.resolve(Path.of("transport", "ws"));
        Set<String> inCode = new TreeSet<>();
        inCode.addAll(matches(ws, Pattern.compile("BadFrame\\(\\s*\"([a-z_]+)\"")));
        inCode.addAll(matches(ws, Pattern.compile("frames\\.error\\([^,]+,\\s*\"([a-z_]+)\"")));
        // the core's refusals of a client's join, leave or publish, which the connection sends with their own codes
        inCode.addAll(matches(MAIN_SOURCES.resolve(Path.of("core", "ClientRefusal.java")),
                Pattern.compile("[A-Z_]+\\(\"([a-z_]+)\"\\)")));
        // and why a call to the backend got no answer
        inCode.addAll(matches(MAIN_SOURCES.resolve(Path.of("core", "BackendCallException.java")),
                Pattern.compile("[A-Z_]+\\(\"([a-z_]+)\"\\)")));
        assertThat(inCode).as("reply error codes the code sends").containsExactlyInAnyOrderElementsOf(listed);

        Set<String> closes = new TreeSet<>(matches(MAIN_SOURCES.resolve(Path.of("core", "Disconnect.java")),
                Pattern.compile("new Disconnect\\(\\s*(\\d+)")));
        closes.addAll(matches(ws, Pattern.compile("new Disconnect\\(\\s*(4\\d\\d\\d)")));
        assertThat(closes).as("close codes the server sends").containsExactlyInAnyOrderElementsOf(closeCodes());
    }

    // ---------------------------------------------------------------- helpers

    private record Answer(String label, int status, @Nullable MediaType contentType, HttpHeaders headers, byte[] body) {

        static Answer of(String label, EntityExchangeResult<byte[]> result) {
            byte[] body = result.getResponseBody();
            return new Answer(label, result.getStatus().value(), result.getResponseHeaders().getContentType(),
                    result.getResponseHeaders(), body == null ? new byte[0] : body);
        }

        JsonNode json() {
            return JSON.readTree(body);
        }

        @Override
        public String toString() {
            return label + " -> " + status + " " + contentType + " " + abbreviate(new String(body, StandardCharsets.UTF_8));
        }

        private static String abbreviate(String text) {
            return text.length() <= 300 ? text : text.substring(0, 300) + "…";
        }
    }

    private Answer call(HttpMethod method, String uri, @Nullable String apiKey, @Nullable String body) {
        return exchange(method, uri, apiKey == null ? Map.of()
                : Map.of(HttpHeaders.AUTHORIZATION, apiKey.startsWith("Bearer ") ? apiKey : "Bearer " + apiKey), body);
    }

    private Answer exchange(HttpMethod method, String uri, Map<String, String> headers, @Nullable String body) {
        WebTestClient.RequestBodySpec request = http.method(method).uri(uri);
        headers.forEach((name, value) -> request.header(name, value));
        WebTestClient.RequestHeadersSpec<?> ready = body == null ? request
                : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body);
        return Answer.of(method.name() + " " + uri + (headers.isEmpty() ? "" : " " + headers.keySet()),
                ready.exchange().expectBody().returnResult());
    }

    /** POSTs a client command with a client token, after checking the body against its documented schema. */
    private Answer clientPost(String operation, String token, Object body) {
        JsonNode json = JSON.valueToTree(body);
        JsonNode schema = operation(operation).path("requestBody").path("content").path("application/json").path("schema");
        assertThat(openapi.validate(schema, json)).as("request body %s of %s", json, operation).isEmpty();
        return exchange(HttpMethod.POST, path(operation), Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token), json.toString());
    }

    /** One long poll that must answer 200 as documented. */
    private Answer poll(String token, @Nullable String cursor) {
        Answer answer = exchange(HttpMethod.GET, cursor == null ? "/poll" : "/poll?cursor=" + cursor,
                Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token), null);
        assertThat(answer.status).as("%s", answer).isEqualTo(200);
        assertConforms("GET /poll", answer);
        // each frame is also what asyncapi.yaml documents for the poll channel
        for (JsonNode frame : answer.json().path("messages")) {
            String type = frame.path("type").asString();
            assertThat(asyncapi.resolve("#/channels/poll/messages").has(type)).as("poll frame %s", frame).isTrue();
            assertFrame(type, frame);
        }
        return answer;
    }

    private java.net.URI sse(String query) {
        return java.net.URI.create("http://localhost:" + port + "/sse" + (query.isEmpty() ? "" : "?" + query));
    }

    private static String path(String operation) {
        return operation.substring(operation.indexOf(' ') + 1);
    }

    /** The status, media type and headers of a live event stream, as GET /sse documents them. */
    private static void assertStreamConforms(SseStream stream) {
        assertThat(stream.status()).as("GET /sse").isEqualTo(200);
        JsonNode ok = openapi.deref(operation("GET /sse").path("responses").path("200"));
        MediaType type = MediaType.parseMediaType(stream.header(HttpHeaders.CONTENT_TYPE));
        assertThat(ok.path("content").propertyNames()).contains(type.getType() + "/" + type.getSubtype());
        for (Map.Entry<String, JsonNode> header : ok.path("headers").properties()) {
            JsonNode schema = openapi.deref(header.getValue()).path("schema");
            assertThat(openapi.validate(schema, JSON.valueToTree(stream.header(header.getKey()))))
                    .as("GET /sse header %s", header.getKey()).isEmpty();
        }
    }

    /** A response header against the schema the operation documents for it with this status. */
    private static void assertDocumentedHeader(String operation, Answer answer, String name) {
        JsonNode response = openapi.deref(operation(operation).path("responses").path(String.valueOf(answer.status)));
        JsonNode header = response.path("headers").path(name);
        assertThat(header.isObject()).as("%s documents the %s header for %s", operation, name, answer.status).isTrue();
        assertThat(openapi.validate(openapi.deref(header).path("schema"), JSON.valueToTree(answer.headers.getFirst(name))))
                .as("%s header of %s", name, answer).isEmpty();
    }

    private Answer call(HttpMethod method, String uri) {
        return call(method, uri, TestSecrets.API_KEY, null);
    }

    private Answer get(String uri) {
        return call(HttpMethod.GET, uri);
    }

    private Answer post(String uri, String body) {
        return call(HttpMethod.POST, uri, TestSecrets.API_KEY, body);
    }

    /**
     * "METHOD /path" for every operation in openapi.yaml that a default node serves: not those of paths marked
     * {@code x-pushgate-enabled-by} (opt-in, checked with their setting on by their own tests, e.g.
     * PusherApiSpecTests).
     */
    private static Set<String> documentedOperations() {
        Set<String> operations = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : openapi.document().path("paths").properties()) {
            if (path.getValue().has("x-pushgate-enabled-by")) {
                continue;
            }
            for (String key : path.getValue().propertyNames()) {
                if (HTTP_METHODS.contains(key)) {
                    operations.add(key.toUpperCase() + " " + path.getKey());
                }
            }
        }
        return operations;
    }

    private static JsonNode operation(String operation) {
        int space = operation.indexOf(' ');
        JsonNode node = openapi.document().path("paths").path(operation.substring(space + 1))
                .path(operation.substring(0, space).toLowerCase());
        assertThat(node.isObject()).as("openapi.yaml documents %s", operation).isTrue();
        return node;
    }

    private static void assertConforms(String operation, Answer answer) {
        assertResponseConforms(operation, operation(operation).path("responses"), answer);
    }

    private static void assertConformsAnyRequest(Answer answer, int status) {
        assertThat(answer.status).as("%s", answer).isEqualTo(status);
        assertResponseConforms("any /api/ request", openapi.document().path("x-pushgate-any-api-request")
                .path("responses"), answer);
    }

    private static void assertResponseConforms(String where, JsonNode responses, Answer answer) {
        JsonNode response = responses.get(String.valueOf(answer.status));
        assertThat(response).as("%s answered a status openapi.yaml does not document for it: %s", where, answer).isNotNull();
        response = openapi.deref(response);
        JsonNode content = response.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            assertThat(answer.body).as("%s: openapi.yaml documents no body: %s", where, answer).isEmpty();
            return;
        }
        assertThat(answer.contentType).as("%s: no Content-Type: %s", where, answer).isNotNull();
        String mediaType = answer.contentType.getType() + "/" + answer.contentType.getSubtype();
        assertThat(content.propertyNames()).as("%s: Content-Type not documented: %s", where, answer).contains(mediaType);
        JsonNode schema = content.path(mediaType).path("schema");
        assertThat(schema.isObject()).as("%s: %s has no schema", where, mediaType).isTrue();
        assertThat(openapi.validate(schema, answer.json())).as("%s: body does not match the schema: %s", where, answer).isEmpty();
    }

    private static void assertProblem(Answer answer, String slug) {
        JsonNode problem = answer.json();
        assertThat(answer.contentType).as("%s", answer).isNotNull();
        assertThat(answer.contentType.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).as("%s", answer).isTrue();
        assertThat(openapi.validate("#/components/schemas/Problem", problem)).as("%s", answer).isEmpty();
        assertThat(problem.path("type").asString()).as("%s", answer).isEqualTo(PROBLEM + slug);
        assertThat(problem.path("status").asInt()).as("%s", answer).isEqualTo(answer.status);
    }

    private static void assertPagedParameters(String path) {
        Set<String> names = new TreeSet<>();
        for (JsonNode parameter : operation("GET " + path).path("parameters")) {
            names.add(openapi.deref(parameter).path("name").asString());
        }
        assertThat(names).as("paging parameters of GET %s", path).contains("after", "limit");
        String page = path.endsWith("uids") ? "UidPage" : "GroupPage";
        assertThat(openapi.resolve("#/components/schemas/" + page + "/required").toString()).contains("\"next\"");
    }

    /** Validates a frame against {@code components.messages.<name>.payload} of asyncapi.yaml. */
    private static JsonNode assertFrame(String message, JsonNode frame) {
        JsonNode payload = asyncapi.resolve("#/components/messages/" + message + "/payload");
        assertThat(asyncapi.validate(payload, frame)).as("frame %s against the '%s' payload", frame, message).isEmpty();
        return frame;
    }

    /** @return the error code of a failed reply, or null */
    private static @Nullable String assertReply(JsonNode reply, boolean ok) {
        assertFrame("reply", reply);
        assertThat(reply.path("ok").asBoolean()).as("%s", reply).isEqualTo(ok);
        return ok ? null : reply.path("error").path("code").asString();
    }

    private static java.util.function.Predicate<JsonNode> isReply(int ref) {
        return frame -> "reply".equals(frame.path("type").asString()) && frame.path("ref").asInt(-1) == ref;
    }

    /** Sends a client frame after checking it against its documented payload, so the spec accepts what the server takes. */
    private static void sendClientFrame(WsTestClient client, String message, Map<String, ?> frame) {
        assertFrame(message, JSON.valueToTree(frame));
        client.sendJson(frame);
    }

    private static Set<String> closeCodes() {
        return new TreeSet<>(asyncapi.resolve("#/channels/ws/x-close-codes").propertyNames());
    }

    /**
     * A live {@code text/event-stream} read line by line with the JDK's HTTP client: the events of a real
     * stream, as a browser's EventSource would parse them, each within {@link WsTestClient#WAIT}.
     */
    private static final class SseStream implements AutoCloseable {

        private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private static final String END = "\u0000end of stream";

        /** One dispatched block: the fields of an event (or of a block holding only a comment or {@code retry}). */
        record Event(@Nullable String id, @Nullable String event, @Nullable String data, @Nullable String retry,
                     List<String> comments) {
            JsonNode json() {
                assertThat(data).as("event %s has data", this).isNotNull();
                return JSON.readTree(data);
            }
        }

        private final HttpResponse<InputStream> response;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private SseStream(HttpResponse<InputStream> response) {
            this.response = response;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // closed by the test
                } finally {
                    lines.add(END);
                }
            }, "sse-test-reader");
            reader.setDaemon(true);
            reader.start();
        }

        static SseStream open(java.net.URI uri, Map<String, String> headers) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).header(HttpHeaders.ACCEPT, "text/event-stream").GET();
            headers.forEach(request::header);
            try {
                return new SseStream(HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream())
                        .get(WsTestClient.WAIT.toMillis(), TimeUnit.MILLISECONDS));
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                throw new IllegalStateException("GET " + uri + " failed", e);
            }
        }

        int status() {
            return response.statusCode();
        }

        @Nullable String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        /** The next block up to a blank line. */
        Event next() {
            String id = null;
            String event = null;
            String retry = null;
            StringBuilder data = null;
            List<String> comments = new ArrayList<>();
            while (true) {
                String line = line();
                if (line.isEmpty()) {
                    if (id != null || event != null || retry != null || data != null || !comments.isEmpty()) {
                        return new Event(id, event, data == null ? null : data.toString(), retry, comments);
                    }
                    continue;
                }
                if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                value = value.startsWith(" ") ? value.substring(1) : value;
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> event = value;
                    case "retry" -> retry = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> throw new AssertionError("unknown SSE field in line '" + line + "'");
                }
            }
        }

        /** The next event with data, skipping heartbeat comments and {@code retry:}. */
        Event nextData() {
            Event event = next();
            while (event.data() == null) {
                assertThat(event.id() == null && event.event() == null && (event.retry() != null
                        || event.comments().equals(List.of("heartbeat")))).as("a block without data: %s", event).isTrue();
                event = next();
            }
            return event;
        }

        /** Waits for the server to end the response, with nothing but heartbeats before. */
        void awaitEnd() {
            for (String line = line(true); !END.equals(line); line = line(true)) {
                assertThat(line).as("after the close event").matches("(: heartbeat)?");
            }
        }

        private String line() {
            return line(false);
        }

        private String line(boolean endAllowed) {
            try {
                String line = lines.poll(WsTestClient.WAIT.toMillis(), TimeUnit.MILLISECONDS);
                if (line == null) {
                    throw new AssertionError("no SSE line within " + WsTestClient.WAIT);
                }
                if (END.equals(line)) {
                    lines.add(END);
                    if (!endAllowed) {
                        throw new AssertionError("the event stream ended");
                    }
                }
                return line;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() {
            try {
                response.body().close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    private static List<String> matches(Path root, Pattern pattern) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = pattern.matcher(Files.readString(file));
                while (m.find()) {
                    found.add(m.groupCount() > 0 ? m.group(1) : m.group());
                }
            }
        }
        return found;
    }
}
