package io.pushgate.api.problem;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.WebExceptionHandler;

import reactor.core.publisher.Mono;

/**
 * Renders every failure of the API and the client endpoints ({@code /api/}, {@code /client/},
 * {@code /sse}, {@code /poll}) and of the admin page's API ({@code /admin/api/}) as problem+json with a stable type, including the ones no controller
 * sees (unknown route, wrong method). Runs before Boot's default error handler.
 */
@Order(-2)
public final class ProblemErrors implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemErrors.class);

    private final ProblemWriter writer;

    public ProblemErrors(ProblemWriter writer) {
        this.writer = writer;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
        String path = exchange.getRequest().getPath().value();
        if (!(path.startsWith("/api/") || path.startsWith("/admin/api/") || path.startsWith("/client/") || path.equals("/sse") || path.equals("/poll"))) {
            return Mono.error(error);
        }
        return writer.write(exchange, problem(error));
    }

    /** The problem that answers {@code error}: its own when it carries one, else one by its kind. */
    public static Problem problem(Throwable error) {
        if (error instanceof ProblemException known) {
            return known.problem();
        }
        if (error instanceof io.pushgate.core.BrokerUnavailableException broker) {
            if (broker.outcomeUnknown()) { // never claim "not done" for what may still be delivered
                return new Problem("cluster-degraded", HttpStatus.SERVICE_UNAVAILABLE,
                        "the cluster's broker did not answer in time: this may or may not have been done", "unknown");
            }
            return new Problem("cluster-degraded", HttpStatus.SERVICE_UNAVAILABLE,
                    "the cluster's broker cannot be reached, so this was not done; retry later");
        }
        if (error instanceof DataBufferLimitException) {
            return new Problem("body-too-large", HttpStatus.CONTENT_TOO_LARGE, "the request body is too large");
        }
        if (error instanceof ServerWebInputException input) {
            return Problem.badRequest(input.getReason() == null ? "bad request" : input.getReason());
        }
        if (error instanceof ResponseStatusException status) {
            HttpStatusCode code = status.getStatusCode();
            HttpStatus known = HttpStatus.resolve(code.value());
            if (known == HttpStatus.NOT_FOUND) {
                return new Problem("no-such-route", known, "no route matches this path; see api-spec/openapi.yaml");
            }
            if (known == HttpStatus.METHOD_NOT_ALLOWED) {
                return new Problem("method-not-allowed", known, "this route does not take this HTTP method");
            }
            if (known == HttpStatus.UNSUPPORTED_MEDIA_TYPE) {
                return new Problem("unsupported-media-type", known, "the body must be JSON: send Content-Type: application/json");
            }
            if (known != null) {
                return new Problem(known.name().toLowerCase().replace('_', '-'), known,
                        status.getReason() == null ? known.getReasonPhrase() : status.getReason());
            }
        }
        log.error("Unexpected API failure", error);
        return new Problem("internal-error", HttpStatus.INTERNAL_SERVER_ERROR, "unexpected server error; see the server log");
    }
}
