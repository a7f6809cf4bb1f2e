package io.pushgate.core;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;

/**
 * A client's call to the backend ({@code {"type":"rpc",…}}): an adapter POSTs it and brings the backend's
 * answer back. Calls never block the caller; each ends with the answer or a {@link BackendCallException}.
 */
public interface BackendCalls {

    /** No backend takes calls: every call fails with {@link BackendCallException.Code#UNAVAILABLE}. */
    BackendCalls NONE = (session, method, dataJson) -> Mono.error(new BackendCallException(
            BackendCallException.Code.UNAVAILABLE, "no backend takes calls here (pushgate.events.rpc-url)"));

    /**
     * @param dataJson the call's data as JSON text, exactly as the client sent it; {@code null} for none
     * @return the backend's answer as JSON text
     */
    Mono<String> call(Session session, String method, @Nullable String dataJson);
}
