package io.pushgate.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pushgate.security.HmacTokens;
import io.pushgate.support.TestSecrets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The version a user reads agrees everywhere: the start-up log names the version the build was made
 * from (the pom's), and the README's status names that same version.
 */
class StartupBannerTests {

    /** The project's version, from the parent pom every module inherits it from. */
    static String pomVersion() throws IOException {
        String pom = Files.readString(Path.of("../pom.xml"));
        // the project's own <version>: the first one after its <artifactId>, past the parent block
        Matcher version = Pattern.compile("<artifactId>pushgate-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(version.find()).as("the parent pom declares its version right after its artifactId").isTrue();
        return version.group(1);
    }

    @Test
    void theVersionIsThePomsAndNoSnapshot() throws IOException {
        assertThat(StartupBanner.version()).isEqualTo(pomVersion());
        assertThat(pomVersion()).matches("\\d+\\.\\d+\\.\\d+");
    }

    @Test
    void bothBannersNameTheVersion() throws IOException {
        HmacTokens tokens = new HmacTokens(TestSecrets.JWT_SECRET);
        Secrets configured = new Secrets(TestSecrets.JWT_SECRET, List.of(TestSecrets.API_KEY), false, false);
        Secrets generated = new Secrets(TestSecrets.JWT_SECRET, List.of(TestSecrets.API_KEY), true, true);

        assertThat(new StartupBanner(configured, tokens, false).text(8080))
                .startsWith("pushgate " + pomVersion() + " is up: WebSocket ws://localhost:8080/ws")
                .doesNotContain(TestSecrets.API_KEY, TestSecrets.JWT_SECRET);
        assertThat(new StartupBanner(generated, tokens, true).text(8080))
                .contains(" pushgate " + pomVersion() + " is running with GENERATED secrets")
                .contains("API key:        " + TestSecrets.API_KEY);
    }

    @Test
    void theReadmesStatusNamesThePomsVersion() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        Matcher status = Pattern.compile("\\*\\*Status: v?([0-9][^*]*?)\\.?\\*\\*").matcher(readme);
        assertThat(status.find()).as("README.md has a '**Status: <version>.**' line").isTrue();
        assertThat(status.group(1)).isEqualTo(pomVersion());
    }
}
