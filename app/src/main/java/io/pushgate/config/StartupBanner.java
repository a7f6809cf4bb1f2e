package io.pushgate.config;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import io.pushgate.security.HmacTokens;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;

/**
 * Tells a newcomer how to connect once the port is known. With generated (development) secrets it
 * prints, loudly, a sample client token, a WebSocket URL and a {@code curl} publish; configured
 * secrets are never printed. Either way it names the version that runs.
 */
final class StartupBanner implements ApplicationListener<WebServerInitializedEvent> {

    private static final Logger log = LoggerFactory.getLogger(StartupBanner.class);

    private final Secrets secrets;
    private final HmacTokens tokens;
    private final boolean loopbackOnly;
    private final @Nullable String generatedAdminKey;

    /** @param loopbackOnly whether the server listens on loopback only because its secrets were generated */
    StartupBanner(Secrets secrets, HmacTokens tokens, boolean loopbackOnly) {
        this(secrets, tokens, loopbackOnly, null);
    }

    /** @param generatedAdminKey the admin key generated for a zero-configuration start, shown with the API key */
    StartupBanner(Secrets secrets, HmacTokens tokens, boolean loopbackOnly, @Nullable String generatedAdminKey) {
        this.secrets = secrets;
        this.tokens = tokens;
        this.loopbackOnly = loopbackOnly;
        this.generatedAdminKey = generatedAdminKey;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if ("management".equals(event.getApplicationContext().getServerNamespace())) {
            return; // Actuator's own server (management.server.port) takes no clients
        }
        int port = event.getWebServer().getPort();
        if (secrets.generated()) {
            log.warn(text(port));
        } else {
            log.info(text(port));
        }
    }

    /**
     * The version of the running build: the jar's {@code Implementation-Version}, else the version in
     * {@code META-INF/build-info.properties} (written by the build, so classes run from an IDE or the
     * tests have it too); both come from the pom, so the log names the release that runs.
     */
    static String version() {
        String fromJar = StartupBanner.class.getPackage().getImplementationVersion();
        if (fromJar != null && !fromJar.isBlank()) {
            return fromJar;
        }
        try (InputStream in = StartupBanner.class.getResourceAsStream("/META-INF/build-info.properties")) {
            if (in != null) {
                Properties build = new Properties();
                build.load(in);
                String version = build.getProperty("build.version");
                if (version != null && !version.isBlank()) {
                    return version;
                }
            }
        } catch (IOException e) {
            // an unreadable file is a version unknown, not a failed start
        }
        return "(version unknown)";
    }

    /** What {@link #onApplicationEvent} logs once the server listens on {@code port}. */
    String text(int port) {
        String version = version();
        if (!secrets.generated()) {
            return "pushgate " + version + " is up: WebSocket ws://localhost:" + port + "/ws, backend API http://localhost:"
                    + port + "/api/v1";
        }
        String token = tokens.issue("demo", Duration.ofHours(24), List.of("lobby"), List.of("lobby"));
        String nl = System.lineSeparator();
        // only what was generated is shown: a configured secret or key never reaches the log
        String key = secrets.generatedApiKey() ? secrets.apiKeys().get(0) : "<your configured API key>";
        return nl + "=====================================================================" + nl
                + " pushgate " + version + " is running with GENERATED secrets: development use only." + nl
                + " Set PUSHGATE_AUTH_JWT_SECRET and PUSHGATE_API_KEYS (generated ones change on every start)." + nl
                + (loopbackOnly
                        ? " Development mode: listening on " + DevelopmentBind.LOOPBACK + " only (this machine); set" + nl
                          + " server.address (SERVER_ADDRESS) to listen elsewhere." + nl
                        : " server.address is set: listening there, with an open, generated API key." + nl)
                + nl
                + (secrets.generatedApiKey() ? " API key:        " + key + nl : "")
                + (secrets.generatedJwtSecret() ? " JWT secret:     " + secrets.jwtSecret() + nl : "")
                + (generatedAdminKey != null ? " Admin key:      " + generatedAdminKey + "   (http://localhost:" + port + "/admin/)" + nl : "")
                + " Sample token for uid 'demo' (group 'lobby', 24 h):" + nl
                + "   " + token + nl
                + nl
                + " Connect:  ws://localhost:" + port + "/ws?token=" + token + nl
                + " Push:     curl -s http://localhost:" + port + "/api/v1/messages \\" + nl
                + "             -H 'Authorization: Bearer " + key + "' -H 'Content-Type: application/json' \\" + nl
                + "             -d '{\"to\":{\"uids\":[\"demo\"]},\"event\":\"new_msg\",\"data\":{\"text\":\"hello\"}}'" + nl
                + "=====================================================================";
    }
}
