package io.pushgate.transport.socketio;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.pushgate.core.TransportRole;
import io.pushgate.core.ClientActions;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.ConnectProxy;
import io.pushgate.transport.netty.NettyChannels;
import io.pushgate.web.Unauthenticated;

import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;
import tools.jackson.databind.json.JsonMapper;

/**
 * Socket.IO v4 at {@code /socket.io/}: Engine.IO 4 over long-polling with the upgrade to WebSocket, or
 * WebSocket alone, so a stock {@code socket.io-client} (and the pages of web-msg-sender and PHPSocketIO
 * users) connects unchanged. Only what a push client needs is served: namespace {@code /}, server events,
 * and the client's {@code login}; binary packets and other namespaces are refused.
 *
 * <p>socket.io-client 1 and 2 (Engine.IO 3, Socket.IO protocol 4, what web-msg-sender's pages load)
 * are served too, as the reference server does with {@code allowEIO3}: they join namespace {@code /}
 * at once, with a {@code token} in the query ({@code io(url, {query: {token}})}) or by {@code login}.
 * JSONP polling is not served.
 *
 * <p>Errors are the reference server's: HTTP 400 with {@code {"code":N,"message":…}} (0 unknown
 * transport, 1 unknown session, 3 bad request, 5 unsupported protocol version), and 503 once
 * {@code maxSessions} Engine.IO sessions are open (each handshake opens one before the client
 * authenticates, so they are bounded). Polling needs every request of a session on the node that
 * holds it: behind a load balancer, make {@code /socket.io/} sticky (nginx {@code ip_hash}) or connect
 * with {@code transports: ["websocket"]}.
 */
public final class SocketIoServer implements WebHandler {

    public static final String PATH = "/socket.io/";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final MediaType TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);

    private final SocketIoSockets sockets;
    private final ConnectProxy proxy;
    private final WebSocketService webSockets;
    private final Predicate<String> originAllowed;
    private final Predicate<String> credentialsAllowed;
    private final Duration pingInterval;
    private final Duration pingTimeout;
    private final int maxPayload;
    private final int maxSessions;
    private final int capacity;
    private final Map<String, EngineSession> sessions = new ConcurrentHashMap<>();
    private final Scheduler timers = Schedulers.parallel();
    private final Unauthenticated unauthenticated;

    /**
     * @param originAllowed whether a page of this origin may poll (its answers get CORS headers) and
     *                      open the WebSocket; a request without {@code Origin} is not a page's
     * @param credentialsAllowed whether a page of this origin may poll with its cookies
     *                      ({@code Access-Control-Allow-Credentials}); only origins listed by name: Socket.IO
     *                      clients authenticate with their {@code auth} token, and a reflected origin with
     *                      credentials would let any site read answers made with the user's cookies
     * @param trustLogin    whether {@code emit('login', uid)} binds a uid without a token
     * @param maxSessions   Engine.IO sessions open at once, past which handshakes get 503
     * @param unauthenticated the node's count of connections not authenticated yet: an Engine.IO session
     *                      takes a place in it from its handshake until its socket joins with a pushgate
     *                      session (token or login) or it ends; past its caps (node, peer address) a
     *                      handshake gets 503
     */
    public SocketIoServer(TransportRole node, ClientActions actions, TokenVerifier tokens, JsonMapper mapper, WebSocketService webSockets,
                          Predicate<String> originAllowed, Predicate<String> credentialsAllowed, boolean trustLogin,
                          Duration pingInterval, Duration pingTimeout, int maxPayload, int maxSessions,
                          Unauthenticated unauthenticated, ConnectProxy proxy) {
        this.unauthenticated = unauthenticated;
        this.proxy = proxy;
        this.sockets = new SocketIoSockets(node, actions, tokens, proxy, mapper, trustLogin);
        this.webSockets = webSockets;
        this.originAllowed = originAllowed;
        this.credentialsAllowed = credentialsAllowed;
        this.pingInterval = pingInterval;
        this.pingTimeout = pingTimeout;
        this.maxPayload = maxPayload;
        this.maxSessions = maxSessions;
        this.capacity = node.limits().queueCapacity();
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        ServerHttpResponse response = exchange.getResponse();
        String origin = request.getHeaders().getOrigin();
        if (origin != null) {
            if (!originAllowed.test(origin)) {
                return error(response, HttpStatus.FORBIDDEN, 4, "Forbidden");
            }
            HttpHeaders headers = response.getHeaders();
            headers.setAccessControlAllowOrigin(origin);
            if (credentialsAllowed.test(origin)) {
                headers.setAccessControlAllowCredentials(true);
            }
            headers.add(HttpHeaders.VARY, HttpHeaders.ORIGIN);
        }
        if (request.getMethod() == HttpMethod.OPTIONS) {
            response.getHeaders().setAccessControlAllowMethods(List.of(HttpMethod.GET, HttpMethod.POST));
            response.getHeaders().setAccessControlAllowHeaders(List.of("content-type"));
            response.getHeaders().setAccessControlMaxAge(Duration.ofHours(1));
            response.setStatusCode(HttpStatus.NO_CONTENT);
            return response.setComplete();
        }
        String eio = request.getQueryParams().getFirst("EIO");
        if (!"4".equals(eio) && !"3".equals(eio)) {
            return error(response, HttpStatus.BAD_REQUEST, 5, "Unsupported protocol version");
        }
        if (request.getQueryParams().getFirst("j") != null) {
            return error(response, HttpStatus.BAD_REQUEST, 3, "Bad request"); // JSONP polling: not served
        }
        String transport = request.getQueryParams().getFirst("transport");
        String sid = request.getQueryParams().getFirst("sid");
        if ("websocket".equals(transport)) {
            if (request.getMethod() != HttpMethod.GET || !"websocket".equalsIgnoreCase(request.getHeaders().getUpgrade())) {
                return error(response, HttpStatus.BAD_REQUEST, 3, "Bad request");
            }
            if (sid != null && !sessions.containsKey(sid)) {
                return error(response, HttpStatus.BAD_REQUEST, 1, "Session ID unknown");
            }
            if (sid == null && sessions.size() >= maxSessions) {
                return error(response, HttpStatus.SERVICE_UNAVAILABLE, 3, "Too many sessions");
            }
            Unauthenticated.Permit pending = null;
            if (sid == null) {
                pending = unauthenticated.admit(remote(exchange));
                if (pending == null) {
                    return error(response, HttpStatus.SERVICE_UNAVAILABLE, 3, "Too many unauthenticated sessions");
                }
            }
            Unauthenticated.Permit taken = pending;
            String token = request.getQueryParams().getFirst("token");
            Channel channel = NettyChannels.of(exchange);
            ConnectProxy.Attempt handshake = sid == null ? handshake(exchange) : null;
            return webSockets.handleRequest(exchange, ws -> handleSocket(ws, sid, "3".equals(eio), token, taken, channel, handshake))
                    .doOnError(e -> release(taken))
                    .doOnCancel(() -> release(taken));
        }
        if (!"polling".equals(transport)) {
            return error(response, HttpStatus.BAD_REQUEST, 0, "Transport unknown");
        }
        return polling(exchange, sid, "3".equals(eio));
    }

    /** The connection's own peer address: a forwarded header is whatever the client writes. */
    private static @Nullable SocketAddress remote(ServerWebExchange exchange) {
        Channel channel = NettyChannels.of(exchange);
        return channel != null ? channel.remoteAddress() : exchange.getRequest().getRemoteAddress();
    }

    /**
     * What the connect proxy is told of a handshake, should its token not be a valid JWT: the client's
     * address (as a trusted proxy forwarded it), its {@code User-Agent} and {@code Origin}, and the query
     * without {@code token}; {@code null} when the proxy is off. Cookies are not passed on: a Socket.IO
     * client authenticates with its {@code auth} token.
     */
    private ConnectProxy.@Nullable Attempt handshake(ServerWebExchange exchange) {
        if (!proxy.enabled()) {
            return null;
        }
        ServerHttpRequest request = exchange.getRequest();
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        for (String name : List.of("user-agent", "origin")) {
            String value = request.getHeaders().getFirst(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        Map<String, List<String>> query = new java.util.LinkedHashMap<>(request.getQueryParams());
        query.remove("token");
        java.net.InetSocketAddress peer = request.getRemoteAddress();
        String address = peer == null ? null : peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
        return new ConnectProxy.Attempt(null, "socketio", address, headers, query);
    }

    private static void release(Unauthenticated.@Nullable Permit permit) {
        if (permit != null) {
            permit.release(); // idempotent: the session releases it too, if it was opened
        }
    }

    /** The handshake ({@code GET} without {@code sid}), a long-poll ({@code GET}) or packets from the client ({@code POST}). */
    private Mono<Void> polling(ServerWebExchange exchange, @Nullable String sid, boolean eio3) {
        ServerHttpRequest request = exchange.getRequest();
        ServerHttpResponse response = exchange.getResponse();
        response.getHeaders().setCacheControl("no-store");
        if (sid == null) {
            if (request.getMethod() != HttpMethod.GET) {
                return error(response, HttpStatus.BAD_REQUEST, 2, "Bad handshake method");
            }
            if (sessions.size() >= maxSessions) {
                return error(response, HttpStatus.SERVICE_UNAVAILABLE, 3, "Too many sessions");
            }
            Unauthenticated.Permit pending = unauthenticated.admit(remote(exchange));
            if (pending == null) {
                return error(response, HttpStatus.SERVICE_UNAVAILABLE, 3, "Too many unauthenticated sessions");
            }
            EngineSession engine = open(null, eio3, request.getQueryParams().getFirst("token"), pending, handshake(exchange));
            String packet = openPacket(engine, true);
            return text(response, eio3 ? packet.length() + ":" + packet : packet);
        }
        EngineSession engine = sessions.get(sid);
        if (engine == null) {
            return error(response, HttpStatus.BAD_REQUEST, 1, "Session ID unknown");
        }
        if (request.getMethod() == HttpMethod.GET) {
            return engine.poll()
                    .flatMap(body -> text(response, body))
                    .onErrorResume(IllegalStateException.class, e -> error(response, HttpStatus.BAD_REQUEST, 3, "Bad request"));
        }
        if (request.getMethod() == HttpMethod.POST) {
            return DataBufferUtils.join(request.getBody(), maxPayload)
                    .map(SocketIoServer::utf8)
                    .defaultIfEmpty("")
                    .flatMap(body -> {
                        engine.receive(body);
                        response.getHeaders().setContentType(new MediaType("text", "html", StandardCharsets.UTF_8));
                        return write(response, "ok");
                    })
                    .onErrorResume(DataBufferLimitException.class, e -> {
                        engine.close("payload too large", false);
                        return error(response, HttpStatus.PAYLOAD_TOO_LARGE, 3, "Bad request");
                    });
        }
        return error(response, HttpStatus.BAD_REQUEST, 3, "Bad request");
    }

    /**
     * A WebSocket: a session of its own ({@code 0} first), or the upgrade of polling session {@code sid}.
     * The server is not itself the {@code WebSocketHandler}: WebFlux would then take every request for a
     * WebSocket handshake.
     */
    private Mono<Void> handleSocket(WebSocketSession ws, @Nullable String sid, boolean eio3, @Nullable String token,
                                    Unauthenticated.@Nullable Permit pending, @Nullable Channel channel,
                                    ConnectProxy.@Nullable Attempt handshake) {
        Sinks.Many<String> out = Sinks.many().unicast().onBackpressureBuffer(Queues.<String>get(capacity + 2).get());
        EngineSession engine;
        if (sid == null) {
            engine = open(out, eio3, token, pending, handshake);
        } else {
            engine = sessions.get(sid);
        }
        if (engine == null) {
            return ws.close();
        }
        EngineSession session = engine;
        Mono<Void> input = ws.receive()
                .filter(message -> message.getType() != WebSocketMessage.Type.PING || !pinged(session, channel, message))
                .filter(message -> message.getType() == WebSocketMessage.Type.TEXT)
                .map(WebSocketMessage::getPayloadAsText)
                .doOnNext(text -> onWebSocketText(session, out, text))
                .then()
                .doFinally(signal -> {
                    if (session.carriedBy(out)) {
                        session.close("transport close", false);
                    }
                    out.tryEmitComplete();
                });
        // deferred, and only while open: Reactor Netty makes the close frame when close() is called, and
        // a close Mono never subscribed (the peer went first) would leak that frame's buffer
        Mono<Void> output = ws.send(out.asFlux().map(ws::textMessage))
                .then(Mono.defer(() -> ws.isOpen() ? ws.close() : Mono.<Void>empty()));
        return Mono.when(input, output);
    }

    /**
     * A WebSocket ping: answered with a pong straight to the channel while it is writable. A client that
     * pings and reads none of the pongs fills Netty's outbound buffer up to its high-water mark, and the
     * next ping then ends the session ({@code slow client}) instead of the buffer growing.
     *
     * @return {@code true}: the ping is dealt with
     */
    private static boolean pinged(EngineSession engine, @Nullable Channel channel, WebSocketMessage ping) {
        if (channel == null || !channel.isActive()) {
            return true;
        }
        if (!channel.isWritable()) {
            engine.close("slow client", false);
            channel.close();
            return true;
        }
        ByteBuf payload = ping.getPayload() instanceof NettyDataBuffer netty
                ? netty.getNativeBuffer().retainedDuplicate() : Unpooled.EMPTY_BUFFER;
        channel.writeAndFlush(new PongWebSocketFrame(payload), channel.voidPromise());
        return true;
    }

    private static void onWebSocketText(EngineSession engine, Sinks.Many<String> out, String text) {
        if (text.isEmpty()) {
            return;
        }
        if (engine.carriedBy(out)) {
            engine.onPacket(text);
        } else if (text.equals("2probe")) {
            engine.probe(out);
        } else if (text.equals("5")) {
            engine.upgrade(out);
        } else {
            out.tryEmitComplete(); // anything else while probing: the probe failed, polling goes on
        }
    }

    /**
     * Opens a session, carried by {@code socket} when it is a WebSocket's from the start. An Engine.IO 3
     * client is connected to namespace {@code /} at once, with the {@code token} of its query if any.
     */
    private EngineSession open(Sinks.@Nullable Many<String> socket, boolean eio3, @Nullable String token,
                               Unauthenticated.@Nullable Permit pending, ConnectProxy.@Nullable Attempt handshake) {
        EngineSession engine = new EngineSession(newId(), eio3, capacity, sockets);
        if (socket != null) {
            socket.tryEmitNext(openPacket(engine, false)); // first, before anything the session may send
            engine.attach(socket);
        }
        sessions.put(engine.sid, engine);
        sockets.opened(engine, sessions::remove, pending, handshake);
        long every = pingInterval.toNanos();
        engine.pinger(timers.schedulePeriodically(() -> engine.tick(every, pingTimeout.toNanos()), every, every, TimeUnit.NANOSECONDS));
        if (eio3) {
            sockets.connectImplicitly(engine, token);
        }
        return engine;
    }

    private String openPacket(EngineSession engine, boolean polling) {
        return "0{\"sid\":\"" + engine.sid + "\",\"upgrades\":" + (polling ? "[\"websocket\"]" : "[]")
                + ",\"pingInterval\":" + pingInterval.toMillis() + ",\"pingTimeout\":" + pingTimeout.toMillis()
                + (engine.eio3 ? "" : ",\"maxPayload\":" + maxPayload) + "}";
    }

    /** 20 characters of base64url, like the reference server's ids. */
    static String newId() {
        byte[] bytes = new byte[15];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String utf8(DataBuffer buffer) {
        try {
            return buffer.toString(StandardCharsets.UTF_8);
        } finally {
            DataBufferUtils.release(buffer);
        }
    }

    private static Mono<Void> text(ServerHttpResponse response, String body) {
        response.getHeaders().setContentType(TEXT);
        return write(response, body);
    }

    private static Mono<Void> write(ServerHttpResponse response, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(bytes)));
    }

    private static Mono<Void> error(ServerHttpResponse response, HttpStatus status, int code, String message) {
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        return write(response, "{\"code\":" + code + ",\"message\":\"" + message + "\"}");
    }
}
