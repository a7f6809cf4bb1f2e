package io.pushgate;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pushgate.support.TestSecrets;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar as a user runs it: zero-config start-up that prints how to connect, the refusal to
 * start with generated secrets under the {@code prod} profile, and SIGTERM draining sessions with 1001.
 */
class ProcessLifecycleIT {

    static final Path JAR = Path.of("target", "pushgate.jar");

    @TempDir
    Path dir;

    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void kill() {
        processes.forEach(Process::destroyForcibly);
    }

    Process start(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-jar");
        command.add(JAR.toAbsolutePath().toString());
        command.add("--management.server.port=0"); // not the default 9090, which another server may hold
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(process);
        return process;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void startsWithNoConfigurationAndPrintsAWorkingTokenUrlAndCurl() throws Exception {
        int port = freePort();
        Path log = dir.resolve("dev.log");
        start(log, "--server.port=" + port);

        await().atMost(Duration.ofSeconds(60)).until(() -> read(log).contains("Push:"));
        String output = read(log);
        assertThat(output).contains("GENERATED secrets");
        Matcher url = Pattern.compile("Connect:\\s+(ws://\\S+)").matcher(output);
        Matcher key = Pattern.compile("API key:\\s+(\\S+)").matcher(output);
        assertThat(url.find()).isTrue();
        assertThat(key.find()).isTrue();

        try (WsTestClient client = WsTestClient.connect(URI.create(url.group(1)))) {
            assertThat(client.nextOfType("welcome").path("uid").asString()).isEqualTo("demo");
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder()
                    .uri(URI.create("http://localhost:" + port + "/api/v1/messages"))
                    .header("Authorization", "Bearer " + key.group(1))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"to\":{\"uids\":[\"demo\"]},\"event\":\"new_msg\",\"data\":{\"text\":\"hello\"}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).contains("\"sessions\":1");
            assertThat(client.nextMessage().path("data").path("text").asString()).isEqualTo("hello");
        }
    }

    @Test
    void refusesGeneratedSecretsUnderTheProdProfile() throws Exception {
        Path log = dir.resolve("prod.log");
        Process process = start(log, "--server.port=" + freePort(), "--spring.profiles.active=prod");

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isNotZero();
        assertThat(read(log)).contains("refuses to start with generated secrets in production");
    }

    @Test
    void sigtermFlushesSessionsClosesThemWith1001AndExits() throws Exception {
        int port = freePort();
        Path log = dir.resolve("term.log");
        Process process = start(log, "--server.port=" + port,
                "--pushgate.auth.jwt-secret=" + TestSecrets.JWT_SECRET, "--pushgate.api.keys=" + TestSecrets.API_KEY,
                "--pushgate.shutdown.grace=5s");
        await().atMost(Duration.ofSeconds(60)).until(() -> read(log).contains(" is up: "));
        assertThat(read(log)).doesNotContain(TestSecrets.JWT_SECRET).doesNotContain(TestSecrets.API_KEY);

        WsTestClient client = WsTestClient.connect(URI.create("ws://localhost:" + port + "/ws?token=" + TestSecrets.token("u1")));
        client.nextOfType("welcome");

        process.destroy(); // SIGTERM

        WsTestClient.Close close = client.awaitClose();
        assertThat(close.code()).isEqualTo(1001);
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(read(log)).contains("Drained 1 session(s)");
        assertThat(read(log)).doesNotContain(TestSecrets.token("u1").substring(0, 40));
    }

    @Test
    void theTokenCommandPrintsATokenOfTheConfiguredSecretAndStartsNoServer() throws Exception {
        Path out = dir.resolve("token.out");
        Path err = dir.resolve("token.err");
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
                JAR.toAbsolutePath().toString(), "token", "--uid", "42", "--groups", "a,b", "--ttl", "10m")
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().put("PUSHGATE_AUTH_JWT_SECRET", TestSecrets.JWT_SECRET);
        Process process = builder.start();
        processes.add(process);

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("it exits by itself: no server was started").isTrue();
        assertThat(process.exitValue()).as(read(err)).isZero();
        String token = read(out).strip();
        assertThat(new io.pushgate.security.HmacTokens(TestSecrets.JWT_SECRET).verify(token).groups()).containsExactlyInAnyOrder("a", "b");
        assertThat(read(err)).doesNotContain(TestSecrets.JWT_SECRET).doesNotContain("Netty started");
    }
}
