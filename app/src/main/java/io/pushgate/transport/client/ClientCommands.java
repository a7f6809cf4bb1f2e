package io.pushgate.transport.client;

import io.pushgate.codec.RawJson;
import io.pushgate.core.Broker;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Hub;
import io.pushgate.core.Names;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.PushNode;
import io.pushgate.core.Session;
import io.pushgate.core.Target;
import io.pushgate.security.SecurityConfig;
import io.pushgate.web.JsonBodies;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemException;

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
 * clients. The same token rules apply: join only groups in the token's {@code groups}, publish only to
 * groups in its {@code publish}; join and leave act on one of the token's own sessions, named by the
 * {@code clientId} of its welcome event or poll cursor.
 */
@RestController
public class ClientCommands {

    private final PushNode node;
    private final Broker broker;
    private final JsonBodies bodies;
    private final JsonMapper mapper;

    public ClientCommands(PushNode node, Broker broker, JsonMapper mapper) {
        this.node = node;
        this.broker = broker;
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
            ClientClaims claims = claims(exchange);
            Session session = ownSession(claims, body);
            String group = group(body);
            if (!claims.groups().contains(group)) {
                throw new ProblemException(new Problem("forbidden", HttpStatus.FORBIDDEN,
                        "the token does not allow joining this group"));
            }
            if (node.hub().join(session, group) == Hub.Join.TOO_MANY_GROUPS) {
                throw new ProblemException(new Problem("too-many-groups", HttpStatus.CONFLICT,
                        "a session may be in at most " + node.limits().groupsPerSession() + " groups"));
            }
            return new Done(true);
        });
    }

    @PostMapping("/client/leave")
    Mono<Done> leave(ServerWebExchange exchange) {
        return bodies.read(exchange.getRequest()).map(body -> {
            Session session = ownSession(claims(exchange), body);
            node.hub().leave(session, group(body));
            return new Done(true);
        });
    }

    @PostMapping("/client/publish")
    Mono<Published> publish(ServerWebExchange exchange) {
        return bodies.read(exchange.getRequest()).flatMap(body -> {
            ClientClaims claims = claims(exchange);
            String group = group(body);
            if (!claims.publish().contains(group)) {
                throw new ProblemException(new Problem("forbidden", HttpStatus.FORBIDDEN,
                        "the token does not allow publishing to this group"));
            }
            JsonNode eventNode = body.get("event");
            String event = eventNode == null || eventNode.isNull() ? "message" : text(eventNode, "event");
            String data = RawJson.text(mapper, body.get("data")); // as the client wrote it, not re-serialised
            return broker.publish(new Publication(Target.group(group), event, data == null ? "null" : data, 0));
        }).map(result -> new Published(result.id(), result.sessions()));
    }

    private static ClientClaims claims(ServerWebExchange exchange) {
        return SecurityConfig.clientClaims(exchange);
    }

    private Session ownSession(ClientClaims claims, JsonNode body) {
        String clientId = text(body.get("clientId"), "clientId");
        Session session = node.hub().client(clientId);
        if (session == null || !session.uid().equals(claims.uid())) {
            throw new ProblemException(new Problem("client-not-found", HttpStatus.NOT_FOUND,
                    "no session of this token's uid has this client id"));
        }
        return session;
    }

    private static String group(JsonNode body) {
        return text(body.get("group"), "group");
    }

    private static String text(JsonNode node, String name) {
        if (node == null || !node.isString() || !Names.isValid(node.stringValue())) {
            throw new ProblemException(Problem.badRequest(name + " must be a string of 1-" + Names.MAX_LENGTH
                    + " characters without spaces"));
        }
        return node.stringValue();
    }
}
