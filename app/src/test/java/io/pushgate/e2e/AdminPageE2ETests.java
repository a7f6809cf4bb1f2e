package io.pushgate.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin page in headless Chromium, over https through real nginx ({@code nginx/pushgate.conf}'s
 * {@code /admin} location): sign in with an admin key, see the session count change when a WebSocket
 * client connects, look its uid up, publish to it (the client receives it), and kick it (the client is
 * closed with 4403 and the count drops back). The key stays out of the URL and in {@code sessionStorage}.
 *
 * <p>It takes a screenshot, {@code target/admin.png}; with {@code -Dpushgate.docs.screenshot=true} it
 * also copies it to {@code docs/admin.png}, which is how the committed one was made.
 */
@Tag("e2e")
@PushgateIntegrationTest
@TestPropertySource(properties = "pushgate.admin.keys=" + TestSecrets.ADMIN_KEY)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminPageE2ETests {

    static final Duration WAIT = Duration.ofSeconds(20);

    @LocalServerPort
    int port;

    @Autowired
    Api api;

    @TempDir
    static Path dir;

    Nginx nginx;
    WebDriver browser;

    @BeforeAll
    void start() throws Exception {
        Path certs = Nginx.generateCertificates(dir);
        nginx = Nginx.start(dir.resolve("proxy"), "pushgate.conf", port, certs);
        browser = Chromium.start(dir, new TestCa(certs).serverSpkiSha256());
        browser.manage().window().setSize(new Dimension(1280, 1100));
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (nginx != null) {
            nginx.close();
        }
    }

    @Test
    void signInWatchAClientConnectLookItUpPublishToItAndKickIt() throws IOException {
        browser.get(nginx.https("/admin"));
        wait(d -> d.findElement(By.id("login-form")).isDisplayed());
        assertThat(browser.getCurrentUrl()).startsWith("https://").endsWith("/admin/");

        browser.findElement(By.id("admin-key")).sendKeys(TestSecrets.ADMIN_KEY);
        browser.findElement(By.id("login")).click();
        wait(d -> d.findElement(By.id("dashboard")).isDisplayed() && !d.findElements(By.cssSelector("#nodes-body tr[data-node='test']")).isEmpty());
        assertThat(browser.getCurrentUrl()).doesNotContain(TestSecrets.ADMIN_KEY);
        assertThat(script("return sessionStorage.getItem('pushgate.adminKey')")).isEqualTo(TestSecrets.ADMIN_KEY);
        int before = sessions();

        String uid = uniqueUid("admin-page");
        try (WsTestClient client = WsTestClient.connect(api.ws("token=" + token(uid, java.util.List.of("lobby"), java.util.List.of())))) {
            client.nextOfType("welcome");
            wait(d -> sessions() == before + 1); // the next refresh shows it
            assertThat(browser.findElement(By.cssSelector("#nodes-body tr[data-node='test'] td[data-transport='websocket']"))
                    .getText()).isNotEqualTo("0");

            browser.findElement(By.id("lookup-uid")).sendKeys(uid);
            browser.findElement(By.id("lookup")).click();
            WebElement session = wait(d -> d.findElements(By.cssSelector("#uid-sessions tbody tr[data-client-id]")).stream()
                    .findFirst().orElse(null));
            assertThat(session.findElement(By.cssSelector(".transport")).getText()).isEqualTo("websocket");
            assertThat(session.getText()).contains("test").contains("lobby");

            new Select(browser.findElement(By.id("publish-to"))).selectByValue("uid");
            browser.findElement(By.id("publish-name")).sendKeys(uid);
            browser.findElement(By.id("publish-event")).clear();
            browser.findElement(By.id("publish-event")).sendKeys("admin_note");
            browser.findElement(By.id("publish")).click();
            wait(d -> "true".equals(d.findElement(By.id("publish-result")).getDomAttribute("data-ok")));
            assertThat(browser.findElement(By.id("publish-result")).getDomAttribute("data-sessions")).isEqualTo("1");
            JsonNode message = client.nextMessage();
            assertThat(message.path("event").asString()).isEqualTo("admin_note");
            assertThat(message.path("data").path("text").asString()).isEqualTo("hello from the admin page");

            // some traffic, so the chart and the rates have something to show in the screenshot
            wait(d -> {
                api.publish("{\"to\":{\"uids\":[\"" + uid + "\"]},\"event\":\"tick\",\"data\":{}}");
                String samples = d.findElement(By.id("rates")).getDomAttribute("data-samples");
                return !"0.0".equals(d.findElement(By.id("rate-out")).getText()) && samples != null && Integer.parseInt(samples) >= 8;
            });
            screenshot();

            browser.findElement(By.id("kick")).click();
            new WebDriverWait(browser, WAIT).until(ExpectedConditions.alertIsPresent()).accept();
            assertThat(client.awaitClose().code()).isEqualTo(4403);
            wait(d -> "1".equals(d.findElement(By.id("kick-result")).getDomAttribute("data-closed")));
            wait(d -> sessions() == before);
        }

        browser.findElement(By.id("logout")).click();
        assertThat(script("return sessionStorage.getItem('pushgate.adminKey')")).isNull();
        assertThat(browser.findElement(By.id("login-form")).isDisplayed()).isTrue();
    }

    @Test
    void aWrongKeyStaysSignedOutWithAMessage() {
        browser.get(nginx.https("/admin/"));
        script("sessionStorage.clear()");
        browser.navigate().refresh();
        browser.findElement(By.id("admin-key")).sendKeys("not-the-admin-key-0123");
        browser.findElement(By.id("login")).click();
        wait(d -> d.findElement(By.id("login-error")).getText().contains("admin key"));
        assertThat(browser.findElement(By.id("dashboard")).isDisplayed()).isFalse();
        assertThat(script("return sessionStorage.getItem('pushgate.adminKey')")).isNull();
    }

    private int sessions() {
        String text = browser.findElement(By.id("total-sessions")).getText();
        return text.matches("\\d+") ? Integer.parseInt(text) : -1;
    }

    private Object script(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private <T> T wait(java.util.function.Function<WebDriver, T> condition) {
        return new WebDriverWait(browser, WAIT).withMessage(() -> "page: " + browser.findElement(By.tagName("body")).getText())
                .until(condition);
    }

    /** To target/admin.png; to docs/admin.png too when asked, so a test run never changes docs/ by itself. */
    private void screenshot() throws IOException {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Path target = Files.createDirectories(Path.of("target")).resolve("admin.png");
        Files.write(target, png);
        if (Boolean.getBoolean("pushgate.docs.screenshot")) {
            Files.copy(target, Path.of("..", "docs", "admin.png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
