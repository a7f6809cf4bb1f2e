package io.pushgate.api;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per backend API request, whichever path answered it (WebFlux or {@link DirectPublishing}),
 * on the logger {@value #LOGGER} so that it can be routed, kept or silenced on its own:
 * {@code POST /api/v1/messages 200 key=1a2b3c4d 3ms}. With structured logging the same values are
 * key-value pairs of the event as well.
 *
 * <p>What a line holds, and never more: the method, the path without its query, the status, the id of
 * the API key ({@code io.pushgate.security.ApiKeys#id}, {@code -} when none or an invalid one was
 * sent), and the milliseconds from the request's head to its answer. Never a header, so never the
 * key or a token; query strings are left out because nothing in them is needed to read the line.
 */
public final class AccessLog {

    public static final String LOGGER = "io.pushgate.access";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    private final boolean enabled;

    AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether lines are written: when not, callers skip even reading the clock. */
    boolean enabled() {
        return enabled && log.isInfoEnabled();
    }

    /** Writes the line of a request whose head arrived at {@code startNanos} ({@link System#nanoTime()}). */
    void request(String method, String path, int status, @Nullable String keyId, long startNanos) {
        if (!enabled()) {
            return;
        }
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        String key = keyId == null ? "-" : keyId;
        log.atInfo()
                .addKeyValue("http.request.method", method)
                .addKeyValue("url.path", path)
                .addKeyValue("http.response.status_code", status)
                .addKeyValue("pushgate.api_key_id", key)
                .addKeyValue("pushgate.duration_ms", millis)
                .log("{} {} {} key={} {}ms", method, path, status, key, millis);
    }
}
