package io.pushgate.transport.pusher;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.pushgate.core.ApiRole;
import io.pushgate.core.Broker;
import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.Names;
import io.pushgate.core.Publication;
import io.pushgate.core.Target;

import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;

import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pusher's HTTP API under {@code /apps/{app_id}/}, as the {@code pusher} server SDKs (and Laravel's
 * {@code pusher} broadcaster) call it: trigger ({@code POST events}, {@code POST batch_events}), channel
 * queries ({@code GET channels}, {@code GET channels/{name}}, {@code GET channels/{presence}/users}) and
 * {@code POST users/{user_id}/terminate_connections}.
 *
 * <p>Every request carries Pusher's signature in its query: {@code auth_key} (the app key),
 * {@code auth_timestamp} (epoch seconds, at most {@value #MAX_SKEW_SECONDS} s from the node's clock),
 * {@code auth_version=1.0}, {@code body_md5} (hex MD5 of a non-empty body) and {@code auth_signature}, the
 * hex HMAC-SHA256 with the app secret of {@code METHOD\nPATH\n} and the other query parameters sorted by
 * name as {@code name=value} joined by {@code &}. Anything wrong is a 401 with Pusher's text, before the
 * body is used.
 *
 * <p>An event's {@code data} is a string, published to each channel's group as a JSON string (so pushgate's
 * own clients get the same string) through the {@link Broker}, cluster-wide; {@code socket_id} leaves that
 * connection out. Presence answers ({@code user_count}, {@code users}) know the members of this node's
 * connections only for now.
 */
public final class PusherHttpApi implements WebHandler {

    /** Where the SDKs send requests. */
    public static final String PATH = "/apps/**";

    /** How far {@code auth_timestamp} may be from the node's clock, as Pusher allows. */
    static final long MAX_SKEW_SECONDS = 600;
    /** Pusher's limits: channels of one trigger, events of one batch, characters of an event name. */
    static final int MAX_CHANNELS = 100;
    static final int MAX_BATCH = 10;
    static final int MAX_EVENT_NAME = 200;

    private final PusherApp app;
    private final Broker broker;
    private final ApiRole presence;
    private final PusherPresence members;
    private final JsonMapper mapper;
    private final int maxBody;
    private final Clock clock;

    /** @param maxBody the largest body taken ({@code pushgate.api.max-body-size}); larger is a 413 */
    public PusherHttpApi(PusherApp app, Broker broker, ApiRole presence, PusherPresence members, JsonMapper mapper, int maxBody,
                         Clock clock) {
        this.app = app;
        this.broker = broker;
        this.presence = presence;
        this.members = members;
        this.mapper = mapper;
        this.maxBody = maxBody;
        this.clock = clock;
    }

    /** An answer: the status and Pusher's body (JSON, or text for errors). */
    private record Answer(HttpStatus status, String body, boolean json) {

        static Answer ok(String json) {
            return new Answer(HttpStatus.OK, json, true);
        }

        static Answer error(HttpStatus status, String text) {
            return new Answer(status, status.value() + " " + status.getReasonPhrase() + ": " + text + "\n", false);
        }
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        return DataBufferUtils.join(request.getBody(), maxBody)
                .map(buffer -> {
                    byte[] bytes = new byte[buffer.readableByteCount()];
                    buffer.read(bytes);
                    DataBufferUtils.release(buffer);
                    return bytes;
                })
                .defaultIfEmpty(new byte[0])
                .flatMap(body -> answer(request, body))
                .onErrorResume(DataBufferLimitException.class, e -> Mono.just(Answer.error(HttpStatus.PAYLOAD_TOO_LARGE,
                        "the body is over " + maxBody + " bytes")))
                .onErrorResume(BrokerUnavailableException.class, e -> Mono.just(Answer.error(HttpStatus.SERVICE_UNAVAILABLE,
                        "the cluster cannot publish now; retry")))
                .flatMap(answer -> write(exchange.getResponse(), answer));
    }

    private static Mono<Void> write(ServerHttpResponse response, Answer answer) {
        response.setStatusCode(answer.status());
        response.getHeaders().setContentType(answer.json() ? MediaType.APPLICATION_JSON : MediaType.TEXT_PLAIN);
        DataBuffer buffer = response.bufferFactory().wrap(answer.body().getBytes(StandardCharsets.UTF_8));
        return response.writeWith(Mono.just(buffer));
    }

    private Mono<Answer> answer(ServerHttpRequest request, byte[] body) {
        String path = request.getPath().pathWithinApplication().value();
        String[] parts = path.substring(1).split("/", -1); // apps, id, …
        if (parts.length < 3 || !"apps".equals(parts[0])) {
            return Mono.just(Answer.error(HttpStatus.NOT_FOUND, "no such resource"));
        }
        if (!app.appId().equals(parts[1])) {
            return Mono.just(Answer.error(HttpStatus.NOT_FOUND, "Unknown app"));
        }
        String refused = refusal(request, body);
        if (refused != null) {
            return Mono.just(Answer.error(HttpStatus.UNAUTHORIZED, refused));
        }
        HttpMethod method = request.getMethod();
        String resource = parts[2];
        try {
            if (HttpMethod.POST.equals(method) && parts.length == 3 && "events".equals(resource)) {
                return trigger(body);
            }
            if (HttpMethod.POST.equals(method) && parts.length == 3 && "batch_events".equals(resource)) {
                return batch(body);
            }
            if (HttpMethod.GET.equals(method) && "channels".equals(resource)) {
                Map<String, String> query = request.getQueryParams().toSingleValueMap();
                if (parts.length == 3) {
                    return Mono.just(channels(query));
                }
                if (parts.length == 4) {
                    return Mono.just(channel(parts[3], query));
                }
                if (parts.length == 5 && "users".equals(parts[4])) {
                    return Mono.just(users(parts[3]));
                }
            }
            if (HttpMethod.POST.equals(method) && parts.length == 5 && "users".equals(resource)
                    && "terminate_connections".equals(parts[4])) {
                return terminate(parts[3]);
            }
        } catch (BadRequest e) {
            return Mono.just(Answer.error(HttpStatus.BAD_REQUEST, e.getMessage()));
        }
        return Mono.just(Answer.error(HttpStatus.NOT_FOUND, "no such resource"));
    }

    /** Why the request's signature is refused, or {@code null} when it is good. */
    @Nullable String refusal(ServerHttpRequest request, byte[] body) {
        Map<String, String> query = new TreeMap<>();
        request.getQueryParams().forEach((name, values) -> {
            if (!values.isEmpty()) {
                query.put(name.toLowerCase(java.util.Locale.ROOT), values.get(0));
            }
        });
        if (!app.key().equals(query.get("auth_key"))) {
            return "unknown auth_key";
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(query.getOrDefault("auth_timestamp", ""));
        } catch (NumberFormatException e) {
            return "auth_timestamp must be epoch seconds";
        }
        long now = clock.millis() / 1000;
        if (Math.abs(now - timestamp) > MAX_SKEW_SECONDS) {
            return "Timestamp expired: Given timestamp (" + timestamp + ") not within " + MAX_SKEW_SECONDS
                    + "s of server time (" + now + ")";
        }
        if (!"1.0".equals(query.get("auth_version"))) {
            return "auth_version must be 1.0";
        }
        if (body.length > 0 && !PusherApp.md5(body).equals(query.get("body_md5"))) {
            return "body_md5 does not match the body";
        }
        String signature = query.remove("auth_signature");
        StringBuilder signed = new StringBuilder().append(request.getMethod().name()).append('\n')
                .append(request.getPath().value()).append('\n');
        boolean first = true;
        for (Map.Entry<String, String> param : query.entrySet()) {
            if (!first) {
                signed.append('&');
            }
            first = false;
            signed.append(param.getKey()).append('=').append(param.getValue());
        }
        return app.signed(signed.toString(), signature) ? null : "Invalid signature: you should have sent HmacSHA256Hex(\""
                + signed.toString().replace("\n", "\\n") + "\", your_secret_key)";
    }

    private Mono<Answer> trigger(byte[] body) {
        JsonNode event = json(body);
        List<String> channels = new ArrayList<>();
        if (event.path("channels").isArray()) {
            event.path("channels").forEach(c -> channels.add(c.asString("")));
        } else if (event.path("channel").isString()) {
            channels.add(event.path("channel").asString());
        }
        if (channels.isEmpty() || channels.size() > MAX_CHANNELS) {
            throw new BadRequest("channels must name 1 to " + MAX_CHANNELS + " channels");
        }
        List<Publication> publications = new ArrayList<>();
        for (String channel : channels) {
            publications.add(publication(event, channel));
        }
        return broker.publish(publications).map(results -> Answer.ok("{}"));
    }

    private Mono<Answer> batch(byte[] body) {
        JsonNode batch = json(body).path("batch");
        if (!batch.isArray() || batch.isEmpty() || batch.size() > MAX_BATCH) {
            throw new BadRequest("batch must hold 1 to " + MAX_BATCH + " events");
        }
        List<Publication> publications = new ArrayList<>();
        for (JsonNode event : batch) {
            publications.add(publication(event, event.path("channel").asString("")));
        }
        return broker.publish(publications).map(results -> {
            StringBuilder answer = new StringBuilder("{\"batch\":[");
            for (int i = 0; i < results.size(); i++) {
                answer.append(i == 0 ? "{}" : ",{}");
            }
            return Answer.ok(answer.append("]}").toString());
        });
    }

    /** One channel's publication of an event ({@code name}, {@code data}, {@code socket_id}). */
    private Publication publication(JsonNode event, String channel) {
        String name = event.path("name").asString("");
        if (name.isEmpty() || name.length() > MAX_EVENT_NAME || !Names.isValid(name)) {
            throw new BadRequest("name must be 1-" + MAX_EVENT_NAME + " characters without spaces");
        }
        if (!Names.isValid(channel)) {
            throw new BadRequest("a channel name must be 1-" + Names.MAX_LENGTH + " characters without spaces");
        }
        JsonNode data = event.path("data");
        if (!data.isString()) {
            throw new BadRequest("data must be a string");
        }
        Set<String> exclude = Set.of();
        if (event.hasNonNull("socket_id")) {
            String clientId = SocketIds.clientId(event.path("socket_id").asString(""));
            if (clientId == null) {
                throw new BadRequest("Invalid socket id: " + event.path("socket_id").asString(""));
            }
            exclude = Set.of(clientId);
        }
        Target target = new Target(List.of(), List.of(channel), List.of(), false, exclude);
        return new Publication(target, name, mapper.writeValueAsString(data.asString()), 0);
    }

    private Answer channels(Map<String, String> query) {
        String prefix = query.getOrDefault("filter_by_prefix", "");
        boolean userCount = query.getOrDefault("info", "").contains("user_count");
        if (userCount && !prefix.startsWith("presence-")) {
            throw new BadRequest("user_count may only be asked with filter_by_prefix=presence-");
        }
        Map<String, Object> channels = new TreeMap<>();
        String after = null;
        while (true) {
            List<String> page = presence.groupNames(after, 1000);
            for (String name : page) {
                if (name.startsWith(prefix)) {
                    channels.put(name, userCount ? Map.of("user_count", members.users(name).size()) : Map.of());
                }
            }
            if (page.size() < 1000) {
                break;
            }
            after = page.get(page.size() - 1);
        }
        return Answer.ok(mapper.writeValueAsString(Map.of("channels", channels)));
    }

    private Answer channel(String name, Map<String, String> query) {
        String info = query.getOrDefault("info", "");
        int subscriptions = presence.groupMemberCount(name);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("occupied", subscriptions > 0);
        if (info.contains("user_count")) {
            if (!name.startsWith("presence-")) {
                throw new BadRequest("user_count is only for presence channels");
            }
            answer.put("user_count", members.users(name).size());
        }
        if (info.contains("subscription_count")) {
            answer.put("subscription_count", subscriptions);
        }
        return Answer.ok(mapper.writeValueAsString(answer));
    }

    private Answer users(String name) {
        if (!name.startsWith("presence-")) {
            throw new BadRequest("users are only listed for presence channels");
        }
        List<Map<String, String>> users = new ArrayList<>();
        members.users(name).keySet().forEach(id -> users.add(Map.of("id", id)));
        return Answer.ok(mapper.writeValueAsString(Map.of("users", users)));
    }

    /** Closes the presence connections of this {@code user_id} on every node (4009: not retried). */
    private Mono<Answer> terminate(String userId) {
        List<String> clients = members.clientsOf(userId);
        return reactor.core.publisher.Flux.fromIterable(clients)
                .concatMap(broker::kickClient)
                .then(Mono.just(Answer.ok("{}")));
    }

    private JsonNode json(byte[] body) {
        try {
            JsonNode node = mapper.readTree(body);
            if (node == null || !node.isObject()) {
                throw new BadRequest("the body must be a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            throw new BadRequest("the body is not JSON");
        }
    }

    /** A request the API refuses with 400 and this message. */
    private static final class BadRequest extends RuntimeException {

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
