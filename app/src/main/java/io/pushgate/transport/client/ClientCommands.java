package io.pushgate.transport.client;

import io.pushgate.codec.RawJson;
import io.pushgate.core.BackendCallException;
import io.pushgate.core.ClientActions;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.ClientRefusal;
import io.pushgate.core.Names;
import io.pushgate.core.Session;
import io.pushgate.security.SecurityConfig;
import io.pushgate.web.JsonBodies;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemException;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /client/join}, {@code /client/leave} and {@code /client/publish}: what a WebSocket
 * client does with {@code join}, {@code leave} and {@code publish} frames, for SSE and long-poll
 * clients, under the same rules ({@link ClientActions}); join and leave act on one of the token's own
 * sessions, named by the {@code clientId} of its welcome event or poll cursor.
 */
@RestController
public class ClientCommands {

    private final ClientActions actions;
    private final JsonBodies bodies;
    private final JsonMapper mapper;

    public ClientCommands(ClientActions actions, JsonMapper mapper) {
        this.actions = actions;
        this.mapper = mapper;
        this.bodies = new JsonBodies(mapper, 64 * 1024);
    }

    record Done(boolean ok) {
    }

    record Published(String id, int sessions) {
    }

    @PostMapping("/client/join")
    Mono<Done> join(ServerWebExchange exchange) {
        return bodies.read(exchange.getRequest()).map(body -> {
            Session session = ownSession(claims(exchange), body);
            try {
                actions.join(session, name(body.get("group")));
            } catch (ClientRefusal refusal) {
                throw problem(refusal);
            }
            return new Done(true);
        });
    }

    @PostMapping("/client/leave")
    Mono<Done> leave(ServerWebExchange exchange) {
        return bodies.read(exchange.getRequest()).map(body -> {
            Session session = ownSession(claims(exchange), body);
            try {
                actions.leave(session, name(body.get("group")));
            } catch (ClientRefusal refusal) {
                throw problem(refusal);
            }
            return new Done(true);
        });
    }

    @PostMapping("/client/publish")
    Mono<Published> publish(ServerWebExchange exchange) {
        return bodies.read(exchange.getRequest()).flatMap(body -> {
            JsonNode event = body.get("event");
            String data = RawJson.text(mapper, body.get("data")); // as the client wrote it, not re-serialised
            try {
                return actions.publish(claims(exchange), name(body.get("group")),
                        event == null || event.isNull() ? null : name(event), data);
            } catch (ClientRefusal refusal) {
                throw problem(refusal);
            }
        }).map(result -> new Published(result.id(), result.sessions()));
    }

    record Answered(boolean ok, @com.fasterxml.jackson.annotation.JsonRawValue String data) {
    }

    /** A {@code send} frame's twin: the data goes to the backend as a {@code message} event. */
    @PostMapping("/client/send")
    Mono<Done> send(ServerWebExchange exchange) {
        return bodies.read(exchange.getRequest()).map(body -> {
            Session session = ownSession(claims(exchange), body);
            JsonNode event = body.get("event");
            try {
                actions.send(session, event == null || event.isNull() ? null : name(event), RawJson.text(mapper, body.get("data")));
            } catch (ClientRefusal refusal) {
                throw problem(refusal);
            }
            return new Done(true);
        });
    }

    /** An {@code rpc} frame's twin: answers the backend's answer as {@code data}, or a problem naming why not. */
    @PostMapping("/client/rpc")
    Mono<Answered> rpc(ServerWebExchange exchange) {
        return bodies.read(exchange.getRequest()).flatMap(body -> {
            Session session = ownSession(claims(exchange), body);
            try {
                return actions.call(session, name(body.get("method")), RawJson.text(mapper, body.get("data")));
            } catch (ClientRefusal refusal) {
                throw problem(refusal);
            }
        }).map(json -> new Answered(true, json)).onErrorMap(BackendCallException.class, ClientCommands::problem);
    }

    /** A call that got no answer: the code the client sees, as a problem slug, with a status that fits. */
    private static ProblemException problem(BackendCallException e) {
        Problem problem = switch (e.code()) {
            case UNAVAILABLE -> new Problem("rpc-unavailable", HttpStatus.NOT_IMPLEMENTED, e.getMessage());
            case TIMEOUT -> new Problem("rpc-timeout", HttpStatus.GATEWAY_TIMEOUT, e.getMessage());
            case FAILED -> new Problem("rpc-failed", HttpStatus.BAD_GATEWAY, e.getMessage());
            case BUSY -> new Problem("rpc-busy", HttpStatus.TOO_MANY_REQUESTS, e.getMessage());
        };
        return new ProblemException(problem);
    }

    private static ClientClaims claims(ServerWebExchange exchange) {
        return SecurityConfig.clientClaims(exchange);
    }

    private Session ownSession(ClientClaims claims, JsonNode body) {
        String id = name(body.get("clientId"));
        if (id == null || !Names.isValid(id)) {
            throw badName("clientId");
        }
        Session session = actions.ownSession(claims, id);
        if (session == null) {
            throw new ProblemException(new Problem("client-not-found", HttpStatus.NOT_FOUND,
                    "no session of this token's uid has this client id"));
        }
        return session;
    }

    /**
     * A member's text, for {@link ClientActions} to judge. Anything but a string is no valid name: it
     * is passed on as {@code ""}, so it is refused like one, after the checks that come before it.
     */
    private static @Nullable String name(@Nullable JsonNode node) {
        if (node == null) {
            return null;
        }
        return node.isString() ? node.stringValue() : "";
    }

    /** Same status, type and message as before the rules moved to the core. */
    private static ProblemException problem(ClientRefusal refusal) {
        return switch (refusal.reason()) {
            case BAD_NAME -> badName(refusal.field());
            case FORBIDDEN -> new ProblemException(new Problem("forbidden", HttpStatus.FORBIDDEN, refusal.getMessage()));
            case TOO_MANY_GROUPS -> new ProblemException(new Problem("too-many-groups", HttpStatus.CONFLICT, refusal.getMessage()));
            case NO_BACKEND -> new ProblemException(new Problem("no-backend", HttpStatus.NOT_IMPLEMENTED, refusal.getMessage()));
        };
    }

    private static ProblemException badName(@Nullable String field) {
        return new ProblemException(Problem.badRequest(field + " must be a string of 1-" + Names.MAX_LENGTH
                + " characters without spaces"));
    }
}
