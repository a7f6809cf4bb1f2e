package io.pushgate.transport.workerman;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.pushgate.compat.WorkermanTextPort;
import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Workerman push.php's page, unchanged: it opens a plain WebSocket, sends its uid as the first frame,
 * and alerts {@code e.data}; its backend writes {@code {"uid":…,"percent":…}} lines to the Text port.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.workerman-ws.enabled=true",
        "pushgate.compat.text-port.enabled=true", "pushgate.compat.text-port.port=0",
        "pushgate.compat.text-port.data-field=percent"})
class WorkermanWebSocketTests {

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @Autowired
    WorkermanTextPort textPort;

    @Test
    void messagesToTheUidAndToAllArriveAsTheirDataAlone() {
        String uid = uniqueUid("wm");
        try (WsTestClient page = page(uid)) {
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":\"88%\"}");
            assertThat(page.nextText("")).isEqualTo("88%");

            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":\"say \\\"hi\\\" \\u00e9\"}");
            assertThat(page.nextText("")).isEqualTo("say \"hi\" \u00e9");

            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":{\"n\":1.50,\"s\":\"a\\u00e9\"}}");
            assertThat(page.nextText("")).isEqualTo("{\"n\":1.50,\"s\":\"a\\u00e9\"}");

            api.publish("{\"to\":{\"all\":true},\"event\":\"e\",\"data\":[1,2]}");
            assertThat(page.nextText("")).isEqualTo("[1,2]");
        }
    }

    @Test
    void aMessageForAnotherUidDoesNotArrive() {
        String uid = uniqueUid("wm-mine");
        try (WsTestClient page = page(uid)) {
            api.publish("{\"to\":{\"uids\":[\"" + uniqueUid("wm-other") + "\"]},\"event\":\"e\",\"data\":\"not yours\"}");
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":\"yours\"}");

            // frames arrive in publish order, so the first one seen is the only one sent to this page
            assertThat(page.nextText("")).isEqualTo("yours");
        }
    }

    /** Without a backend (no pushgate.events.url), as push.php did; with one they are message events (BackendEventsTests). */
    @Test
    void laterFramesAreIgnoredAsPushPhpIgnoredThem() {
        String uid = uniqueUid("wm-later");
        try (WsTestClient page = page(uid)) {
            page.send("another-uid").send("{\"type\":\"join\",\"group\":\"g\"}");
            api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":\"still me\"}");

            assertThat(page.nextText("")).isEqualTo("still me");
            assertThat(api.get("/api/v1/uids/" + uid).path("online").asBoolean()).isTrue();
        }
    }

    @Test
    void aGroupsMessagesArriveOnlyOnceTheBackendPutsTheSessionInTheGroup() {
        String uid = uniqueUid("wm-group");
        String group = uniqueUid("room");
        try (WsTestClient page = page(uid)) {
            api.publish("{\"to\":{\"groups\":[\"" + group + "\"]},\"event\":\"e\",\"data\":\"not a member yet\"}");
            String clientId = api.get("/api/v1/uids/" + uid).path("clientIds").path(0).asString();
            api.put("/api/v1/groups/" + group + "/clients/" + clientId, 200);
            api.publish("{\"to\":{\"groups\":[\"" + group + "\"]},\"event\":\"e\",\"data\":\"member\"}");

            // frames arrive in publish order, so the first one seen is the first one sent to this page
            assertThat(page.nextText("")).isEqualTo("member");
        }
    }

    @Test
    void aMessageHeldUnderATtlArrivesWhenTheUidConnects() {
        String uid = uniqueUid("wm-held");
        api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"e\",\"data\":\"while you were away\",\"ttl\":60}");
        try (WsTestClient page = WsTestClient.connect(uri())) {
            page.send(uid);

            assertThat(page.nextText("")).isEqualTo("while you were away");
        }
    }

    @Test
    void anInvalidUidIsClosedWith4400() {
        try (WsTestClient page = WsTestClient.connect(uri())) {
            page.send("has space");

            WsTestClient.Close close = page.awaitClose();
            assertThat(close.code()).isEqualTo(4400);
            assertThat(close.reason()).contains("uid");
        }
    }

    @Test
    void aBannedUidIsRefusedWithTheNodesCode() {
        String uid = uniqueUid("wm-banned");
        api.delete("/api/v1/uids/" + uid + "/sessions?ban=60", 200);
        try (WsTestClient page = WsTestClient.connect(uri())) {
            page.send(uid);

            assertThat(page.awaitClose()).isEqualTo(new WsTestClient.Close(4403, "banned"));
        }
    }

    @Test
    void aKickClosesThePageWith4403() {
        String uid = uniqueUid("wm-kicked");
        try (WsTestClient page = page(uid)) {
            api.delete("/api/v1/uids/" + uid + "/sessions", 200);

            assertThat(page.awaitClose().code()).isEqualTo(4403);
            await().atMost(Duration.ofSeconds(10)).until(() -> !api.get("/api/v1/uids/" + uid).path("online").asBoolean());
        }
    }

    @Test
    void aPageThatLeavesGoesOffline() {
        String uid = uniqueUid("wm-gone");
        WsTestClient page = page(uid);
        page.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> !api.get("/api/v1/uids/" + uid).path("online").asBoolean());
    }

    /** Seed 001 end to end: the backend's Text port line reaches the page as push.php sent it. */
    @Test
    void theTextPortsPushReachesThePage() throws Exception {
        String uid = uniqueUid("wm-text");
        try (WsTestClient page = page(uid); Socket backend = new Socket("127.0.0.1", textPort.port())) {
            backend.setSoTimeout(10_000);
            OutputStream out = backend.getOutputStream();
            out.write(("{\"uid\":\"" + uid + "\",\"percent\":\"88%\"}\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(backend.getInputStream(), StandardCharsets.UTF_8));

            assertThat(in.readLine()).isEqualTo("ok");
            assertThat(page.nextText("")).as("push.php's page alerts 88%, as it did").isEqualTo("88%");
            out.write(("{\"uid\":\"" + uid + "\",\"other\":1}\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(in.readLine()).as("a line without the data field").isEqualTo("fail");
        }
    }

    /** Connects as push.php's page does and waits until the node has its session. */
    private WsTestClient page(String uid) {
        WsTestClient page = WsTestClient.connect(uri());
        page.send(uid);
        await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/v1/uids/" + uid).path("online").asBoolean());
        return page;
    }

    private URI uri() {
        return URI.create("ws://localhost:" + port + WorkermanWebSocket.PATH);
    }
}
