package io.pushgate.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import io.pushgate.core.ClientClaims;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.security.HmacTokens;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code java -jar pushgate.jar token …}, run in this JVM through its entry point: what it prints is a
 * token the node's own verifier takes with the same configuration, and only that; bad arguments get the
 * usage and status 2; a missing or unusable secret, status 1; no secret is ever printed.
 */
class TokenCommandTests {

    static final String SECRET = TestSecrets.JWT_SECRET;

    /** What one run printed and returned. */
    record Run(int status, String out, String err) {

        String token() {
            assertThat(status).as("status; stderr: %s", err).isZero();
            assertThat(out.lines().toList()).as("standard output holds the token alone").hasSize(1);
            return out.strip();
        }
    }

    /** Runs with these environment variables only, so the test does not depend on the machine's. */
    static Run run(Map<String, Object> environment, String... args) {
        return run(new TokenCommand(environment), args);
    }

    static Run run(TokenCommand command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = command.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String header(String token) {
        return new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))), StandardCharsets.UTF_8);
    }

    @Test
    void printsATokenSignedWithTheSecretGivenAsASetting() throws InvalidTokenException {
        Run run = run(Map.of(), "--uid", "42", "--groups", "a,b", "--publish=a", "--ttl", "2h",
                "--pushgate.auth.jwt-secret=" + SECRET);

        ClientClaims claims = new HmacTokens(SECRET).verify(run.token());
        assertThat(claims.uid()).isEqualTo("42");
        assertThat(claims.groups()).containsExactlyInAnyOrder("a", "b");
        assertThat(claims.publish()).containsExactly("a");
        assertThat(claims.expiresAt()).isCloseTo(Instant.now().plus(Duration.ofHours(2)), within(Duration.ofSeconds(30)));
        assertThat(run.out() + run.err()).doesNotContain(SECRET);
        assertThat(run.err()).contains("uid '42'");
    }

    @Test
    void readsTheSecretFromTheEnvironmentAsTheServerDoes() throws InvalidTokenException {
        Run run = run(Map.of("PUSHGATE_AUTH_JWT_SECRET", SECRET), "--uid", "alice");

        ClientClaims claims = new HmacTokens(SECRET).verify(run.token());
        assertThat(claims.uid()).isEqualTo("alice");
        assertThat(claims.groups()).isEmpty();
        assertThat(claims.expiresAt()).as("an hour by default")
                .isCloseTo(Instant.now().plus(TokenCommand.DEFAULT_TTL), within(Duration.ofSeconds(30)));
    }

    @Test
    void signsWithTheKeyThatKidNamesAndWritesTheKidInTheHeader() throws InvalidTokenException {
        Run run = run(Map.of("PUSHGATE_AUTH_JWTKEYS_K2", TestSecrets.OTHER_SECRET), "--uid", "r", "--kid", "k2");

        String token = run.token();
        assertThat(header(token)).contains("\"kid\":\"k2\"");
        HmacTokens node = new HmacTokens(SECRET, Map.of("k2", TestSecrets.OTHER_SECRET), null, null);
        assertThat(node.verify(token).uid()).isEqualTo("r");
        assertThat(run.out() + run.err()).doesNotContain(TestSecrets.OTHER_SECRET);
    }

    @Test
    void aKidThatIsNotConfiguredIsAnError() {
        Run run = run(Map.of("PUSHGATE_AUTH_JWT_SECRET", SECRET), "--uid", "r", "--kid", "k9");

        assertThat(run.status()).isEqualTo(Command.FAILED);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("pushgate.auth.jwt-keys.k9");
    }

    @Test
    void carriesTheIssuerAndAudienceTheNodeRequires() throws InvalidTokenException {
        Run run = run(Map.of("PUSHGATE_AUTH_JWT_SECRET", SECRET), "--uid", "i",
                "--pushgate.auth.issuer=https://backend.example", "--pushgate.auth.audience=pushgate");

        HmacTokens strict = new HmacTokens(SECRET, Map.of(), "https://backend.example", "pushgate");
        assertThat(strict.verify(run.token()).uid()).isEqualTo("i");
    }

    @Test
    void withoutAConfiguredSecretItPrintsNothingAndFails() {
        Run run = run(Map.of(), "--uid", "42");

        assertThat(run.status()).isEqualTo(Command.FAILED);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("PUSHGATE_AUTH_JWT_SECRET");
    }

    @Test
    void aSecretTooShortIsRefusedWithoutBeingPrinted() {
        Run run = run(Map.of("PUSHGATE_AUTH_JWT_SECRET", "short-secret-x"), "--uid", "42");

        assertThat(run.status()).isEqualTo(Command.FAILED);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("pushgate.auth.jwt-secret must be at least 32 bytes").doesNotContain("short-secret-x");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--groups a", "--uid", "--uid 42 --ttl soon", "--uid 42 --ttl -5m", "--uid 42 extra",
            "--uid 42 --user 7", "--uid 42 --uid 43", "--uid 42 --pushgate.auth.jwt-secret", "--uid=  --ttl 1h"})
    void badArgumentsGetTheUsageAndStatus2(String args) {
        Run run = run(Map.of("PUSHGATE_AUTH_JWT_SECRET", SECRET), args.isEmpty() ? new String[0] : args.split(" "));

        assertThat(run.status()).isEqualTo(Command.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("pushgate token: ").contains("Usage: java -jar pushgate.jar token --uid <uid>");
    }

    @Test
    void helpPrintsTheUsage() {
        Run run = run(Map.of(), "--help");

        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("Usage: java -jar pushgate.jar token");
    }

    @Test
    void theJarRunsTheServerForOptionsAndACommandForAWord() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        assertThat(Commands.all().run(new String[0], out, errors)).isEmpty();
        assertThat(Commands.all().run(new String[] {"--server.port=8081"}, out, errors)).isEmpty();
        assertThat(Commands.all().run(new String[] {"token", "--help"}, out, errors)).isEqualTo(OptionalInt.of(0));
        assertThat(Commands.all().run(new String[] {"tokn", "--uid", "42"}, out, errors)).isEqualTo(OptionalInt.of(Command.USAGE));
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'tokn'").contains("pushgate.jar token");
    }
}
