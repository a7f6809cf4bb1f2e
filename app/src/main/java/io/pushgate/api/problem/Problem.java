package io.pushgate.api.problem;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;

/**
 * An RFC 9457 problem. {@code type} is a stable URN clients may switch on:
 * {@code urn:pushgate:problem:<slug>}; the slugs are listed in {@code api-spec/openapi.yaml}.
 */
public record Problem(String slug, HttpStatus status, String detail, @Nullable String outcome) {

    public Problem(String slug, HttpStatus status, String detail) {
        this(slug, status, detail, null);
    }

    public static final String TYPE_PREFIX = "urn:pushgate:problem:";

    public static Problem badRequest(String detail) {
        return new Problem("bad-request", HttpStatus.BAD_REQUEST, detail);
    }

    public static Problem notFound(String detail) {
        return new Problem("not-found", HttpStatus.NOT_FOUND, detail);
    }

    /** A new SSE or long-poll session was refused: the node is draining (503) or the uid is at its limit (429). */
    public static Problem sessionRefused(boolean shuttingDown, String reason) {
        return new Problem(shuttingDown ? "shutting-down" : "too-many-sessions",
                shuttingDown ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.TOO_MANY_REQUESTS, reason);
    }

    /** A new SSE or long-poll session was refused, for the reason the node gave. */
    public static Problem sessionRefused(io.pushgate.core.Disconnect why) {
        if (why.equals(io.pushgate.core.Disconnect.BANNED)) {
            return new Problem("banned", HttpStatus.FORBIDDEN, "the uid is banned for now; retry after the ban ends");
        }
        return sessionRefused(why.equals(io.pushgate.core.Disconnect.SHUTDOWN), why.reason());
    }

    /**
     * A new SSE stream or a poll could not start: what it needs read from the cluster's broker could not be
     * read. Nothing was done, so the client may simply retry.
     */
    public static Problem clusterUnreadable() {
        return new Problem("cluster-degraded", HttpStatus.SERVICE_UNAVAILABLE,
                "the cluster's broker cannot be reached, so this could not start; retry later");
    }

    public Map<String, Object> body(String instance) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", TYPE_PREFIX + slug);
        body.put("title", status.getReasonPhrase());
        body.put("status", status.value());
        body.put("detail", detail);
        body.put("instance", instance);
        if (outcome != null) {
            body.put("outcome", outcome);
        }
        return body;
    }
}
