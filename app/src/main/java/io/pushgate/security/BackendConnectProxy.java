package io.pushgate.security;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.ChannelOption;
import io.pushgate.codec.RawJson;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.ConnectProxy;
import io.pushgate.core.Names;
import io.pushgate.web.Signatures;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ExchangeStrategies;
import org.springframework.web.reactive.function.client.WebClient;

import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The connect proxy over HTTP: {@code POST <pushgate.auth.connect-url>} with
 * <pre>{"token":…|null,"transport":"ws","remoteAddress":"…","headers":{"cookie":…,"user-agent":…,"origin":…},"query":{…}}</pre>
 * signed as backend events are ({@link Signatures}, {@code pushgate.events.secret}). The backend answers
 * 200 with {@code {"uid":…,"groups":[…],"publish":[…],"data":{…},"ttl":<seconds>}} (all but {@code uid}
 * optional) to admit the client, or another status to refuse it:
 * <ul>
 *   <li>401, 403, 429: refused with that status (close 4401, 4403, 4429 after an upgrade);</li>
 *   <li>any other 4xx: 401, logged, since the backend refused the credential in a way pushgate cannot tell;</li>
 *   <li>5xx, no answer within {@code pushgate.auth.connect-timeout}, unreachable: 503 (close 1013), so
 *       clients retry rather than throw their credential away;</li>
 *   <li>200 with an answer that is not valid (no {@code uid}, a name that is not valid, {@code data} that is
 *       not an object or over {@code pushgate.events.max-session-data}, a body that is not JSON or over 64 KiB), or another 2xx/3xx: 502,
 *       logged with what was wrong.</li>
 * </ul>
 * At most {@code pushgate.auth.connect-max-in-flight} calls wait for the backend at once; one more is
 * answered 503 at once, so a slow backend cannot make the node hold an unbounded number of connects.
 * Never blocks: the HTTP client is Reactor Netty's. Never logs the token.
 */
public final class BackendConnectProxy implements ConnectProxy, AutoCloseable {

    /** The largest {@code data} object taken from an answer by default, in bytes of its compact JSON. */
    public static final int MAX_DATA_BYTES = 4096;
    /** The largest answer body read. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;
    /** A session the backend set no {@code ttl} for, with no default either: no expiry, in effect. */
    static final Instant NEVER = Instant.parse("9999-12-31T23:59:59Z");

    private static final Logger log = LoggerFactory.getLogger(BackendConnectProxy.class);

    private final URI url;
    /** The URL as logged: without user info or query, which may hold credentials. */
    private final String where;
    private final Duration timeout;
    private final int maxInFlight;
    private final Duration defaultTtl;
    private final Signatures signatures;
    private final JsonMapper mapper;
    private final ConnectionProvider connections;
    private final WebClient client;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final int maxDataBytes;

    /**
     * @param url         where to POST
     * @param timeout     how long an answer may take, connecting included
     * @param maxInFlight calls waiting for the backend at once, at most
     * @param defaultTtl  how long a session the backend gave no {@code ttl} lasts; zero for no expiry
     * @param signatures  signs each request
     * @param mapper      reads answers (with the node's JSON limits) and writes requests
     */
    public BackendConnectProxy(URI url, Duration timeout, int maxInFlight, Duration defaultTtl, Signatures signatures,
                               JsonMapper mapper) {
        this(url, timeout, maxInFlight, defaultTtl, signatures, mapper, MAX_DATA_BYTES);
    }

    /** @param maxDataBytes the largest {@code data} taken, as the session data cap ({@code pushgate.events.max-session-data}) */
    public BackendConnectProxy(URI url, Duration timeout, int maxInFlight, Duration defaultTtl, Signatures signatures,
                               JsonMapper mapper, int maxDataBytes) {
        this.maxDataBytes = maxDataBytes;
        if (!"http".equalsIgnoreCase(url.getScheme()) && !"https".equalsIgnoreCase(url.getScheme())) {
            throw new IllegalArgumentException("pushgate.auth.connect-url must be an http or https URL");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("pushgate.auth.connect-max-in-flight must be at least 1");
        }
        this.url = url;
        this.where = url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath());
        this.timeout = timeout;
        this.maxInFlight = maxInFlight;
        this.defaultTtl = defaultTtl;
        this.signatures = signatures;
        this.mapper = mapper;
        this.connections = ConnectionProvider.builder("pushgate-connect-proxy")
                .maxConnections(maxInFlight)
                .pendingAcquireMaxCount(-1) // bounded by maxInFlight already
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        HttpClient http = HttpClient.create(connections)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())))
                .responseTimeout(timeout);
        this.client = WebClient.builder()
                .clientConnector(new ReactorClientHttpConnector(http))
                .exchangeStrategies(ExchangeStrategies.builder()
                        .codecs(c -> c.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES)).build())
                .build();
    }

    @Override
    public boolean enabled() {
        return true;
    }

    /** Calls waiting for the backend now. */
    int inFlight() {
        return inFlight.get();
    }

    @Override
    public Mono<ClientClaims> admit(Attempt attempt) {
        return Mono.defer(() -> {
            if (inFlight.incrementAndGet() > maxInFlight) {
                inFlight.decrementAndGet();
                log.warn("connect proxy: {} calls are already waiting for the backend (pushgate.auth.connect-max-in-flight); "
                        + "{} refused with 503", maxInFlight, attempt);
                return Mono.error(new Refused(503, "too many connects are waiting for the backend; retry later"));
            }
            // given back as soon as the answer is in, before it goes on: the client may be answered at once
            AtomicBoolean held = new AtomicBoolean(true);
            Runnable release = () -> {
                if (held.compareAndSet(true, false)) {
                    inFlight.decrementAndGet();
                }
            };
            return call(attempt).doOnEach(signal -> release.run()).doOnCancel(release);
        });
    }

    private Mono<ClientClaims> call(Attempt attempt) {
        byte[] body = requestBody(attempt);
        return client.post().uri(url)
                .contentType(MediaType.APPLICATION_JSON)
                .header(Signatures.HEADER, signatures.sign(body))
                .bodyValue(body)
                .exchangeToMono(response -> {
                    int status = response.statusCode().value();
                    if (status == 200) {
                        return response.bodyToMono(byte[].class)
                                .defaultIfEmpty(new byte[0])
                                .map(answer -> claims(answer, attempt));
                    }
                    return response.releaseBody().then(Mono.error(refusal(status, attempt)));
                })
                .timeout(timeout)
                .onErrorMap(e -> !(e instanceof Refused), e -> unavailable(e, attempt));
    }

    private byte[] requestBody(Attempt attempt) {
        var json = mapper.createObjectNode();
        json.put("token", attempt.token());
        json.put("transport", attempt.transport());
        json.put("remoteAddress", attempt.remoteAddress());
        var headers = json.putObject("headers");
        attempt.headers().forEach(headers::put);
        var query = json.putObject("query");
        attempt.query().forEach((name, values) -> {
            if (values.size() == 1) {
                query.put(name, values.get(0));
            } else {
                var array = query.putArray(name);
                values.forEach(array::add);
            }
        });
        return mapper.writeValueAsBytes(json);
    }

    private Refused refusal(int status, Attempt attempt) {
        return switch (status) {
            case 401 -> new Refused(401, "the backend refused the credential");
            case 403 -> new Refused(403, "the backend forbids this connection");
            case 429 -> new Refused(429, "the backend says: too many connects; retry later");
            default -> {
                if (status >= 500) {
                    log.warn("connect proxy: the backend answered {} for {}; refused with 503", status, attempt);
                    yield new Refused(503, "the backend cannot admit connections now; retry later");
                }
                if (status >= 400) {
                    log.warn("connect proxy: the backend answered {} (not 401, 403 or 429) for {}; refused with 401", status, attempt);
                    yield new Refused(401, "the backend refused the credential");
                }
                log.warn("connect proxy: the backend answered {} (admitting takes 200 with a JSON body) for {}; refused with 502",
                        status, attempt);
                yield new Refused(502, "the backend's answer is not valid");
            }
        };
    }

    private Refused unavailable(Throwable e, Attempt attempt) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause(); // the network's own words, not the client's wrapper, which repeats the URL
        }
        String why = e instanceof TimeoutException ? "no answer within " + timeout.toMillis() + " ms"
                : root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        if (e instanceof org.springframework.core.io.buffer.DataBufferLimitException
                || root instanceof org.springframework.core.io.buffer.DataBufferLimitException) {
            log.warn("connect proxy: the backend's answer is over {} bytes, for {}; refused with 502", MAX_ANSWER_BYTES, attempt);
            return new Refused(502, "the backend's answer is not valid");
        }
        log.warn("connect proxy: the backend at {} cannot be asked ({}), for {}; refused with 503", where, why, attempt);
        return new Refused(503, "the backend cannot be reached; retry later");
    }

    /** The claims of a 200 answer, or a 502 {@link Refused} saying (in the log) what is wrong with it. */
    private ClientClaims claims(byte[] answer, Attempt attempt) {
        try {
            return parse(answer);
        } catch (InvalidAnswer e) {
            log.warn("connect proxy: the backend's 200 answer is not valid ({}), for {}; refused with 502", e.getMessage(), attempt);
            throw new Refused(502, "the backend's answer is not valid");
        }
    }

    ClientClaims parse(byte[] answer) throws InvalidAnswer {
        JsonNode root;
        try {
            root = RawJson.read(mapper, answer); // data kept token for token, as every session data is
        } catch (JacksonException e) {
            throw new InvalidAnswer("not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidAnswer("not a JSON object");
        }
        JsonNode uidNode = root.get("uid");
        String uid = uidNode == null ? null
                : uidNode.isString() ? uidNode.asString()
                : uidNode.isIntegralNumber() ? uidNode.asString() // PHP's json_encode of an int user id
                : null;
        if (uid == null || !Names.isValid(uid)) {
            throw new InvalidAnswer(uid == null ? "no uid (a string)" : "uid is not 1-" + Names.MAX_LENGTH
                    + " characters without spaces or control characters");
        }
        Set<String> groups = names(root.get("groups"), "groups");
        Set<String> publish = names(root.get("publish"), "publish");
        String data = null;
        String dataText = RawJson.text(mapper, root.get(RawJson.DATA));
        if (dataText != null && !dataText.equals("null")) {
            if (!dataText.startsWith("{")) {
                throw new InvalidAnswer("data is not a JSON object");
            }
            data = dataText;
            int size = data.getBytes(StandardCharsets.UTF_8).length;
            if (size > maxDataBytes) {
                throw new InvalidAnswer("data is " + size + " bytes, over " + maxDataBytes);
            }
        }
        Instant expiresAt = expiry(root.get("ttl"));
        return new ClientClaims(uid, groups, publish, expiresAt, data);
    }

    private Instant expiry(@Nullable JsonNode ttl) throws InvalidAnswer {
        Duration lifetime;
        if (ttl == null || ttl.isNull()) {
            lifetime = defaultTtl;
        } else if (ttl.isIntegralNumber() && ttl.canConvertToLong() && ttl.asLong() >= 0) {
            lifetime = Duration.ofSeconds(ttl.asLong());
        } else {
            throw new InvalidAnswer("ttl is not a whole number of seconds, 0 or more");
        }
        if (lifetime.isZero()) {
            return NEVER;
        }
        Instant at = Instant.now().plus(lifetime);
        return at.isAfter(NEVER) ? NEVER : at;
    }

    private static Set<String> names(@Nullable JsonNode node, String member) throws InvalidAnswer {
        if (node == null || node.isNull()) {
            return Set.of();
        }
        if (!node.isArray()) {
            throw new InvalidAnswer(member + " is not an array of names");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode item : node) {
            if (!item.isString() || !Names.isValid(item.asString())) {
                throw new InvalidAnswer(member + " holds something that is not a valid group name");
            }
            names.add(item.asString());
        }
        return names;
    }

    @Override
    public void close() {
        connections.dispose();
    }

    /** What is wrong with a 200 answer; for the log only. */
    static final class InvalidAnswer extends Exception {
        InvalidAnswer(String message) {
            super(message, null, false, false);
        }
    }
}
