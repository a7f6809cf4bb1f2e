package io.pushgate.core;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;

/**
 * The connect proxy ({@code pushgate.auth.connect-url}): admits a client that presents no valid client
 * token (JWT) by asking the backend, as GatewayWorker apps authenticate in {@code onConnect}. A transport
 * asks it only when {@link #enabled()} and the client's token did not verify (or it sent cookies and no
 * token); a valid JWT never reaches it.
 *
 * <p>{@link #admit} never blocks: it answers a {@link Mono} that completes on another thread (the HTTP
 * client's), so a transport hops back to its connection's own thread before touching its state.
 */
public interface ConnectProxy {

    /** No connect URL: nothing is proxied, every transport behaves as without this seam. */
    ConnectProxy NONE = new ConnectProxy() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public Mono<ClientClaims> admit(Attempt attempt) {
            return Mono.error(new Refused(401, "no connect proxy is configured"));
        }
    };

    /** Whether a connect URL is configured. */
    boolean enabled();

    /**
     * Asks the backend about one connection.
     *
     * @return the claims the backend granted, or an error {@link Refused} with the status to answer
     */
    Mono<ClientClaims> admit(Attempt attempt);

    /**
     * What the backend is told about a connection.
     *
     * @param token         the token the client presented (query, header, subprotocol, cookie or auth frame), or
     *                      {@code null} when it sent only cookies
     * @param transport     {@code ws}, {@code sse}, {@code poll}, {@code client} or {@code socketio}
     * @param remoteAddress the client's address (as a trusted proxy forwarded it), or {@code null}
     * @param headers       the request headers passed on, by lower-case name ({@code cookie}, {@code user-agent},
     *                      {@code origin}); a cookie only when the origin rules take cookies from the page
     * @param query         the request's query parameters, {@code token} left out
     */
    record Attempt(@Nullable String token, String transport, @Nullable String remoteAddress,
                   Map<String, String> headers, Map<String, List<String>> query) {

        public Attempt {
            headers = Map.copyOf(headers);
            query = Map.copyOf(query);
        }

        /** Never the token: this record may end up in a log line. */
        @Override
        public String toString() {
            return "Attempt[" + transport + " from " + remoteAddress + ", token " + (token == null ? "absent" : "present") + "]";
        }
    }

    /**
     * The backend (or the proxy itself) refused the connection. The message is safe to log and to show the
     * client: it never holds the token.
     */
    final class Refused extends RuntimeException {

        private final int status;

        /**
         * @param status what the client is answered before an upgrade: 401 or 403 (the backend's own), 429
         *               (the backend's), 502 (its answer is not valid) or 503 (no answer in time, an error,
         *               unreachable, or too many connects waiting for it)
         */
        public Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }

        /** Whether the client should retry later (502, 503) rather than with another credential. */
        public boolean unavailable() {
            return status >= 500;
        }

        /**
         * The close code for a connection already upgraded (the WebSocket {@code auth} frame): 4401, 4403,
         * 4429, or 1013 (try again later) when the backend could not answer.
         */
        public Disconnect disconnect() {
            String message = getMessage();
            // a close frame's reason has at most 123 bytes; UTF-8 takes up to 3 a character
            String reason = message.length() <= 40 ? message : message.substring(0, 39) + "…";
            return switch (status) {
                case 403 -> new Disconnect(4403, reason);
                case 429 -> new Disconnect(4429, reason);
                case 401 -> new Disconnect(4401, reason);
                default -> new Disconnect(Disconnect.TRY_AGAIN_LATER.code(), reason);
            };
        }
    }
}
