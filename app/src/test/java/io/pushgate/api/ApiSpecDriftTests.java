package io.pushgate.api;

import java.io.IOException;
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
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.pushgate.codec.JsonFrames;
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
class ApiSpecDriftTests {

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
            recipes.put("DELETE /api/v1/clients/{clientId}", () -> call(HttpMethod.DELETE, "/api/v1/clients/" + bobClient));
            recipes.put("DELETE /api/v1/uids/{uid}/sessions", () -> call(HttpMethod.DELETE, "/api/v1/uids/" + carol + "/sessions"));

            Set<String> apiOperations = new TreeSet<>(documentedOperations());
            apiOperations.remove("GET /ws");
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
            String body = method == HttpMethod.POST ? "{}" : null;

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

            client.send("{\"type\":\"resume\",\"ref\":5}");
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
        assertFrame("serverPing", JSON.readTree(frames.ping().json()));
        assertFrame("serverPong", JSON.readTree(frames.pong().json()));
    }

    // ---------------------------------------------------------------- stable codes in the source

    @Test
    void everyProblemTypeTheCodeCanAnswerIsListed() throws IOException {
        Set<String> listed = new TreeSet<>();
        openapi.resolve("#/components/schemas/Problem/properties/type/enum").forEach(t -> listed.add(t.asString()));
        Set<String> inCode = new TreeSet<>();
        inCode.addAll(matches(MAIN_SOURCES, Pattern.compile("new Problem\\(\\s*\"([a-z-]+)\"")));
        assertThat(inCode).as("sanity: slugs found in the source").contains("bad-request", "client-not-found");
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
        WebTestClient.RequestBodySpec request = http.method(method).uri(uri);
        if (apiKey != null) {
            request.header(HttpHeaders.AUTHORIZATION, apiKey.startsWith("Bearer ") ? apiKey : "Bearer " + apiKey);
        }
        WebTestClient.RequestHeadersSpec<?> ready = body == null ? request
                : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body);
        return Answer.of(method.name() + " " + uri, ready.exchange().expectBody().returnResult());
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

    /** "METHOD /path" for every operation in openapi.yaml. */
    private static Set<String> documentedOperations() {
        Set<String> operations = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : openapi.document().path("paths").properties()) {
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
