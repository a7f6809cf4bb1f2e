package io.pushgate.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pushgate.security.HmacTokens;
import io.pushgate.support.TestSecrets;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

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
    void aZeroConfigurationStartGetsAnAdminKeyInTheBannerAndAConfiguredNodeNever() {
        Secrets generated = new Secrets(TestSecrets.JWT_SECRET, List.of("generated-api-key-0123456789"), true, true);
        Secrets configured = new Secrets(TestSecrets.JWT_SECRET, List.of(TestSecrets.API_KEY), false, false);

        AdminSecret dev = AdminSecret.resolve(properties(Map.of()), generated);
        assertThat(dev.generated()).isTrue();
        assertThat(dev.keys()).singleElement().satisfies(key -> assertThat(key).hasSizeGreaterThanOrEqualTo(16));
        assertThat(new StartupBanner(generated, new HmacTokens(TestSecrets.JWT_SECRET), true, dev.keys().get(0)).text(8080))
                .contains("Admin key:      " + dev.keys().get(0) + "   (http://localhost:8080/admin/)");

        AdminSecret off = AdminSecret.resolve(properties(Map.of()), configured);
        assertThat(off.keys()).as("configured secrets and no admin key: the admin page is off").isEmpty();
        AdminSecret set = AdminSecret.resolve(properties(Map.of("pushgate.admin.keys", TestSecrets.ADMIN_KEY)), generated);
        assertThat(set).isEqualTo(new AdminSecret(List.of(TestSecrets.ADMIN_KEY), false));
        assertThat(new StartupBanner(generated, new HmacTokens(TestSecrets.JWT_SECRET), true, null).text(8080))
                .as("a configured admin key is never printed").doesNotContain("Admin key").doesNotContain(TestSecrets.ADMIN_KEY);
    }

    private static PushgateProperties properties(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings)).bindOrCreate("pushgate", PushgateProperties.class);
    }

    @Test
    void theReadmesStatusNamesThePomsVersion() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        Matcher status = Pattern.compile("\\*\\*Status: v?([0-9][^*]*?)\\.?\\*\\*").matcher(readme);
        assertThat(status.find()).as("README.md has a '**Status: <version>.**' line").isTrue();
        assertThat(status.group(1)).isEqualTo(pomVersion());
    }
}
