package io.pushgate.api;

import static io.pushgate.api.PresenceController.name;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemException;
import io.pushgate.codec.RawJson;
import io.pushgate.core.ApiRole;
import io.pushgate.core.Broker;
import io.pushgate.web.JsonBodies;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET|PUT|PATCH /api/v1/clients/{id}/data}: the session data the backend keeps on one connection
 * (GatewayWorker's {@code $_SESSION}), a small JSON object carried in every backend event of that session.
 *
 * <p>{@code PUT} replaces it, {@code PATCH} merges top-level members (RFC 7396: a {@code null} member
 * removes that key). Values are kept as the exact text sent (whitespace between tokens dropped). The
 * session's node holds the data and tells the cluster; a change made through another node is answered
 * with the data as this node computed it. Two writers racing through different nodes: the last one the
 * session's node applies wins.
 */
@RestController
class SessionDataController {

    private final ApiRole node;
    private final Broker broker;
    private final JsonMapper mapper;
    private final JsonBodies bodies;
    private final int maxBytes;

    SessionDataController(ApiRole node, Broker broker, JsonMapper mapper, ApiSettings settings) {
        this.node = node;
        this.broker = broker;
        this.mapper = mapper;
        this.bodies = new JsonBodies(mapper, settings.maxBodyBytes());
        this.maxBytes = settings.maxSessionDataBytes();
    }

    @GetMapping("/api/v1/clients/{clientId}/data")
    ResponseEntity<String> get(@PathVariable String clientId) {
        String data = node.sessionData(name("client id", clientId));
        if (data == null) {
            throw MembershipController.clientNotFound();
        }
        return json(data);
    }

    @PutMapping("/api/v1/clients/{clientId}/data")
    Mono<ResponseEntity<String>> put(@PathVariable String clientId, ServerWebExchange exchange) {
        String id = name("client id", clientId);
        return body(exchange).flatMap(members -> store(id, members));
    }

    @PatchMapping("/api/v1/clients/{clientId}/data")
    Mono<ResponseEntity<String>> patch(@PathVariable String clientId, ServerWebExchange exchange) {
        String id = name("client id", clientId);
        return body(exchange).flatMap(patch -> {
            String current = node.sessionData(id);
            if (current == null) {
                return Mono.error(MembershipController.clientNotFound());
            }
            LinkedHashMap<String, String> merged = RawJson.members(mapper, current.getBytes(StandardCharsets.UTF_8));
            if (merged == null) {
                merged = new LinkedHashMap<>();
            }
            for (Map.Entry<String, String> member : patch.entrySet()) {
                if ("null".equals(member.getValue())) {
                    merged.remove(member.getKey());
                } else {
                    merged.put(member.getKey(), member.getValue());
                }
            }
            return store(id, merged);
        });
    }

    private Mono<ResponseEntity<String>> store(String clientId, Map<String, String> members) {
        String data = RawJson.object(mapper, members);
        if (data.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return Mono.error(new ProblemException(new Problem("session-data-too-large", HttpStatus.CONTENT_TOO_LARGE,
                    "session data may be at most " + maxBytes + " bytes as compact JSON")));
        }
        return broker.setSessionData(clientId, members.isEmpty() ? null : data).map(found -> {
            if (!found) {
                throw MembershipController.clientNotFound();
            }
            return json(data);
        });
    }

    private Mono<LinkedHashMap<String, String>> body(ServerWebExchange exchange) {
        return bodies.readBytes(exchange.getRequest()).map(bytes -> {
            @Nullable LinkedHashMap<String, String> members;
            try {
                members = RawJson.members(mapper, bytes);
            } catch (JacksonException e) {
                throw bodies.notReadable(e);
            }
            if (members == null) {
                throw new ProblemException(Problem.badRequest("session data must be a JSON object"));
            }
            return members;
        });
    }

    private static ResponseEntity<String> json(String body) {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }
}
