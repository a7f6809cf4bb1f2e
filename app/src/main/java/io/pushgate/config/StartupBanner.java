package io.pushgate.config;

import java.time.Duration;
import java.util.List;

import io.pushgate.security.HmacTokens;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;

/**
 * Tells a newcomer how to connect once the port is known. With generated (development) secrets it
 * prints, loudly, a sample client token, a WebSocket URL and a {@code curl} publish; configured
 * secrets are never printed.
 */
final class StartupBanner implements ApplicationListener<WebServerInitializedEvent> {

    private static final Logger log = LoggerFactory.getLogger(StartupBanner.class);

    private final Secrets secrets;
    private final HmacTokens tokens;
    private final boolean loopbackOnly;

    /** @param loopbackOnly whether the server listens on loopback only because its secrets were generated */
    StartupBanner(Secrets secrets, HmacTokens tokens, boolean loopbackOnly) {
        this.secrets = secrets;
        this.tokens = tokens;
        this.loopbackOnly = loopbackOnly;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if ("management".equals(event.getApplicationContext().getServerNamespace())) {
            return; // Actuator's own server (management.server.port) takes no clients
        }
        int port = event.getWebServer().getPort();
        if (!secrets.generated()) {
            log.info("pushgate is up: WebSocket ws://localhost:{}/ws, backend API http://localhost:{}/api/v1", port, port);
            return;
        }
        String token = tokens.issue("demo", Duration.ofHours(24), List.of("lobby"), List.of("lobby"));
        String nl = System.lineSeparator();
        // only what was generated is shown: a configured secret or key never reaches the log
        String key = secrets.generatedApiKey() ? secrets.apiKeys().get(0) : "<your configured API key>";
        log.warn(nl + "=====================================================================" + nl
                + " pushgate is running with GENERATED secrets: development use only." + nl
                + " Set PUSHGATE_AUTH_JWT_SECRET and PUSHGATE_API_KEYS (generated ones change on every start)." + nl
                + (loopbackOnly
                        ? " Development mode: listening on " + DevelopmentBind.LOOPBACK + " only (this machine); set" + nl
                          + " server.address (SERVER_ADDRESS) to listen elsewhere." + nl
                        : " server.address is set: listening there, with an open, generated API key." + nl)
                + nl
                + (secrets.generatedApiKey() ? " API key:        " + key + nl : "")
                + (secrets.generatedJwtSecret() ? " JWT secret:     " + secrets.jwtSecret() + nl : "")
                + " Sample token for uid 'demo' (group 'lobby', 24 h):" + nl
                + "   " + token + nl
                + nl
                + " Connect:  ws://localhost:" + port + "/ws?token=" + token + nl
                + " Push:     curl -s http://localhost:" + port + "/api/v1/messages \\" + nl
                + "             -H 'Authorization: Bearer " + key + "' -H 'Content-Type: application/json' \\" + nl
                + "             -d '{\"to\":{\"uids\":[\"demo\"]},\"event\":\"new_msg\",\"data\":{\"text\":\"hello\"}}'" + nl
                + "=====================================================================");
    }
}
