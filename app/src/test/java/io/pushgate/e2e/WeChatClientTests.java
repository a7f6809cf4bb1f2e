package io.pushgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code clients/pushgate.js} as a WeChat mini-program runs it: {@code clients/test/wechat.js} plays
 * {@code wx.connectSocket} in Node.js and checks the token header, resume from the last cursor, each
 * message once, pongs, replies, a fresh token on reconnect and no reconnect after a kick. Chromium
 * cannot run the {@code wx} path, and no WeChat runtime runs on Linux.
 */
@Tag("e2e")
class WeChatClientTests {

    static final String NODE = System.getProperty("pushgate.e2e.node", "node");

    @Test
    void theClientRunsOverWxConnectSocket() throws IOException, InterruptedException {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path script = repo.resolve("clients/test/wechat.js");
        assertThat(script).exists();
        Path log = Files.createTempFile("wechat", ".log");
        Process node = new ProcessBuilder(NODE, script.toString())
                .directory(repo.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean ended = node.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            node.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        assertThat(ended).as("node ended; output: %s", output).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        assertThat(output).contains("wechat: ok");
    }
}
