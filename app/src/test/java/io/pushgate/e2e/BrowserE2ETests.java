package io.pushgate.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo page in headless Chromium, loaded over https through real nginx running the shipped
 * {@code nginx/pushgate.conf}: WebSocket (wss), and the SSE and long-poll fallbacks, each showing a
 * message published through the API; and the page's publish form.
 *
 * <p>Chromium trusts the test certificate through {@code --ignore-certificate-errors-spki-list} with the
 * SHA-256 of the server certificate's public key (computed here from the file {@code certs/generate.sh}
 * wrote). That needs no NSS tools and no change to any trust store, and it only accepts this one key:
 * any other certificate error still fails the page. The flag is honoured because the browser runs with
 * its own {@code --user-data-dir}.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserE2ETests {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @TempDir
    static Path dir;

    Nginx nginx;
    Nginx subpath;
    HttpClient https;
    WebDriver browser;

    @BeforeAll
    void start() throws Exception {
        Path certs = Nginx.generateCertificates(dir);
        TestCa ca = new TestCa(certs);
        https = ca.httpClient();
        nginx = Nginx.start(dir.resolve("proxy"), "pushgate.conf", port, certs);
        subpath = Nginx.start(dir.resolve("subpath"), "pushgate-subpath.conf", port, certs);

        browser = Chromium.start(dir, ca.serverSpkiSha256());
    }

    @AfterEach
    void leavePage() {
        if (browser != null) {
            browser.get("about:blank"); // closes the page's connection
        }
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (nginx != null) {
            nginx.close();
        }
        if (subpath != null) {
            subpath.close();
        }
    }

    @Test
    void thePageConnectsOverWssAndShowsAPublishedMessage() {
        String uid = uniqueUid("browser-ws");
        open("/demo/?token=" + token(uid));
        assertThat(browser.getCurrentUrl()).startsWith("https://");
        awaitOpen("ws"); // an https page can only open wss://

        String id = publish(uid, "new_msg", "over wss").path("id").asString();

        WebElement item = awaitMessage(id);
        assertThat(item.getDomAttribute("data-event")).isEqualTo("new_msg");
        assertThat(item.getDomAttribute("data-transport")).isEqualTo("ws");
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"over wss\"}");
        assertThat(browser.findElement(By.id("cursor")).getText()).isEqualTo(id);
    }

    @Test
    void withWebSocketDisabledThePageFallsBackToSse() {
        String uid = uniqueUid("browser-sse");
        open("/demo/?disable=ws&token=" + token(uid));
        awaitOpen("sse");

        String id = publish(uid, "new_msg", "over sse").path("id").asString();

        WebElement item = awaitMessage(id);
        assertThat(item.getDomAttribute("data-transport")).isEqualTo("sse");
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"over sse\"}");
    }

    @Test
    void withWebSocketAndSseDisabledThePageFallsBackToLongPolling() {
        String uid = uniqueUid("browser-poll");
        open("/demo/?disable=ws,sse&token=" + token(uid));
        awaitOpen("poll");

        String id = publish(uid, "new_msg", "over long-poll").path("id").asString();

        WebElement item = awaitMessage(id);
        assertThat(item.getDomAttribute("data-transport")).isEqualTo("poll");
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"over long-poll\"}");
    }

    @Test
    void thePublishFormPostsToClientPublishAndTheGroupReceivesIt() {
        String uid = uniqueUid("browser-form");
        String group = uniqueUid("room");
        open("/demo?token=" + token(uid, List.of(group), List.of(group))); // via the /demo redirect
        awaitOpen("ws");

        browser.findElement(By.id("publish-group")).clear();
        browser.findElement(By.id("publish-group")).sendKeys(group);
        browser.findElement(By.id("publish-event")).clear();
        browser.findElement(By.id("publish-event")).sendKeys("chat");
        browser.findElement(By.id("publish-data")).clear();
        browser.findElement(By.id("publish-data")).sendKeys("{\"text\":\"from the form\"}");
        browser.findElement(By.id("publish")).click();

        new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                "true".equals(d.findElement(By.id("publish-result")).getDomAttribute("data-ok")));
        WebElement item = new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                d.findElements(By.cssSelector("li.message[data-event='chat']")).stream().findFirst().orElse(null));
        assertThat(item.findElement(By.cssSelector(".data")).getText()).isEqualTo("{\"text\":\"from the form\"}");
    }

    @Test
    void underTheSubPathThePageUsesThePushUrls() {
        String uid = uniqueUid("browser-subpath");
        browser.get(subpath.https("/push/demo?token=" + token(uid))); // nginx redirects to /push/demo/
        assertThat(browser.getCurrentUrl()).contains("/push/demo/?token=");
        awaitOpen("ws"); // wss://…/push/ws

        String id = publish(subpath, "/push/api/v1/messages", uid, "new_msg", "under /push").path("id").asString();

        assertThat(awaitMessage(id).getDomAttribute("data-transport")).isEqualTo("ws");
    }

    private void open(String pathAndQuery) {
        browser.get(nginx.https(pathAndQuery));
    }

    private void awaitOpen(String transport) {
        new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                "open".equals(d.findElement(By.id("state")).getDomAttribute("data-state")));
        assertThat(browser.findElement(By.id("transport")).getDomAttribute("data-transport")).isEqualTo(transport);
    }

    private WebElement awaitMessage(String id) {
        return new WebDriverWait(browser, WAIT).withMessage(this::pageState).until(d ->
                d.findElements(By.cssSelector("li.message[data-id='" + id + "']")).stream().findFirst().orElse(null));
    }

    private String pageState() {
        return "page " + browser.getCurrentUrl() + ": state '" + browser.findElement(By.id("state")).getText()
                + "', transport '" + browser.findElement(By.id("transport")).getText() + "', list: "
                + browser.findElement(By.id("messages")).getText();
    }

    /** Publishes through nginx's /api/ location (allowed from loopback), as a backend would. */
    private JsonNode publish(String uid, String event, String text) {
        return publish(nginx, "/api/v1/messages", uid, event, text);
    }

    private JsonNode publish(Nginx proxy, String path, String uid, String event, String text) {
        try {
            HttpResponse<String> answer = https.send(HttpRequest.newBuilder(URI.create(proxy.https(path)))
                    .header("Authorization", "Bearer " + TestSecrets.API_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"to":{"uids":["%s"]},"event":"%s","data":{"text":"%s"}}""".formatted(uid, event, text)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode result = JSON.readTree(answer.body());
            assertThat(result.path("sessions").asInt()).as("sessions reached").isEqualTo(1);
            return result;
        } catch (Exception e) {
            throw new AssertionError("publish failed", e);
        }
    }
}
