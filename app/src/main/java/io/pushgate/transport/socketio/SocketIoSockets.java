package io.pushgate.transport.socketio;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

import io.pushgate.codec.RawJson;
import io.pushgate.core.BackendCallException;
import io.pushgate.core.ClientActions;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.ClientRefusal;
import io.pushgate.core.ConnectProxy;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Names;
import io.pushgate.core.Prepared;
import io.pushgate.core.Session;
import io.pushgate.core.TokenVerifier;
import io.pushgate.transport.netty.NettyChannels;
import io.pushgate.web.Unauthenticated;
import io.pushgate.core.Transport;
import io.pushgate.core.TransportRole;

import org.jspecify.annotations.Nullable;

import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Socket.IO layer over Engine.IO sessions (protocol 5, and protocol 4 for Engine.IO 3 clients):
 * namespace {@code /} only, joined with {@code auth: {token}} (a pushgate client token; protocol 4: the
 * handshake's {@code token} query parameter) or, when {@code trustLogin} is on, by emitting
 * {@code login} with a uid as web-msg-sender's pages do. A joined socket is a pushgate session of
 * transport {@code socket.io}; every message it gets arrives as a Socket.IO event named after the
 * message's {@code event}, with its {@code data} as the one argument.
 *
 * <p>A kick (4403) is a Socket.IO disconnect, after which the client does not reconnect; any other end
 * (token expired, slow client, shutdown) is an Engine.IO close, after which it reconnects, asking its
 * {@code auth} function again.
 */
final class SocketIoSockets implements EngineSession.Listener {

    /** Sessions bound by {@code login} have no token, so no expiry: they end with their connection. */
    private static final Instant NEVER = Instant.parse("9999-12-31T23:59:59Z");

    private final TransportRole node;
    private final ClientActions actions;
    private final TokenVerifier tokens;
    private final ConnectProxy proxy;
    private final boolean trustLogin;
    /** The Engine.IO packet of a message frame's Socket.IO event ({@code 42[…]}), made once per publish. */
    private final Function<Frame, String> eventPacket;
    private final JsonMapper mapper;
    private final Map<EngineSession, Socket> sockets = new ConcurrentHashMap<>();

    SocketIoSockets(TransportRole node, ClientActions actions, TokenVerifier tokens, ConnectProxy proxy, JsonMapper mapper,
                    boolean trustLogin) {
        this.node = node;
        this.actions = actions;
        this.tokens = tokens;
        this.proxy = proxy;
        this.mapper = mapper;
        this.trustLogin = trustLogin;
        this.eventPacket = frame -> {
            // the message's data is copied as its exact text (RawJson), not parsed and written again
            JsonNode message = RawJson.read(mapper, frame.json());
            String event = message.path("event").isString() ? message.path("event").asString() : "message";
            String data = RawJson.text(mapper, message.get(RawJson.DATA));
            return "42[" + mapper.writeValueAsString(event) + "," + (data == null ? "null" : data) + "]";
        };
    }

    /**
     * A new Engine.IO session; {@code forget} drops it from the server's registry when it ends, and
     * {@code pending} (its place among unauthenticated connections) is given back once its socket has a
     * pushgate session or it ends. {@code handshake} is what the connect proxy is told of the handshake
     * should the socket's token not be a valid JWT (the token itself left out), {@code null} without a proxy.
     */
    void opened(EngineSession engine, Consumer<String> forget, Unauthenticated.@Nullable Permit pending,
                ConnectProxy.@Nullable Attempt handshake) {
        sockets.put(engine, new Socket(engine, forget, pending, handshake));
    }

    /**
     * Protocol 4 (socket.io-client 1 and 2) joins namespace {@code /} with the handshake: with the
     * query's token, or waiting for {@code login} when that is trusted; refused otherwise.
     */
    void connectImplicitly(EngineSession engine, @Nullable String token) {
        Socket socket = sockets.get(engine);
        if (socket != null) {
            socket.join(token);
        }
    }

    @Override
    public void onMessage(EngineSession engine, String packet) {
        Socket socket = sockets.get(engine);
        if (socket == null || packet.isEmpty()) {
            return;
        }
        switch (packet.charAt(0)) {
            case '0' -> socket.connect(packet.substring(1));
            case '1' -> socket.leave();
            case '2' -> socket.event(packet.substring(1));
            default -> {
                // acks (3) need nothing; binary packets (5, 6) are not served: a push client sends none
            }
        }
    }

    @Override
    public void onClose(EngineSession engine, String reason) {
        Socket socket = sockets.remove(engine);
        if (socket != null) {
            socket.gone();
        }
    }

    /** The socket of namespace {@code /} of one Engine.IO session, and its pushgate session once joined. */
    private final class Socket implements Transport {

        private final EngineSession engine;
        private final Consumer<String> forget;
        private boolean joined;
        private @Nullable Session session;
        private @Nullable Disposable frames;
        private final Unauthenticated.@Nullable Permit pending;
        private final ConnectProxy.@Nullable Attempt handshake;
        /** Whether its token is with the connect proxy, or its session's state is being read from the cluster. */
        private boolean authenticating;
        /** Whether its Engine.IO session has ended. */
        private boolean ended;

        Socket(EngineSession engine, Consumer<String> forget, Unauthenticated.@Nullable Permit pending,
               ConnectProxy.@Nullable Attempt handshake) {
            this.engine = engine;
            this.forget = forget;
            this.pending = pending;
            this.handshake = handshake;
        }

        private void authenticated() {
            if (pending != null) {
                pending.release(); // idempotent
            }
        }

        synchronized void connect(String rest) {
            if (rest.startsWith("/") && !rest.startsWith("/,")) {
                int comma = rest.indexOf(',');
                String namespace = comma < 0 ? rest : rest.substring(0, comma);
                engine.send("4" + namespace + ",{\"message\":\"Invalid namespace\"}");
                return;
            }
            if (joined || authenticating) {
                return;
            }
            String auth = rest.startsWith("/,") ? rest.substring(2) : rest;
            String token = null;
            if (!auth.isEmpty()) {
                try {
                    JsonNode node = mapper.readTree(auth);
                    token = node.path("token").isString() ? node.path("token").asString() : null;
                } catch (JacksonException e) {
                    refuse("auth must be a JSON object");
                    return;
                }
            }
            join(token);
        }

        /** Joins namespace {@code /} with a token, or without one when login is trusted. */
        synchronized void join(@Nullable String token) {
            if (token == null) {
                if (!trustLogin) {
                    refuse(engine.eio3 ? "unauthorized: connect with the query token=…" : "unauthorized: connect with auth {token}");
                    return;
                }
                joined = true; // the uid comes with login
                accept(engine.sid);
                return;
            }
            ClientClaims claims;
            ConnectProxy.Attempt base = handshake;
            try {
                claims = (base == null ? tokens : tokens.uncounted()).verify(token);
            } catch (InvalidTokenException e) {
                if (base == null) {
                    refuse(e.getMessage());
                } else {
                    askBackend(base, token);
                }
                return;
            }
            admit(claims);
        }

        /**
         * Not a valid JWT: the connect proxy asks the backend. Admitted, the socket joins as its uid; refused
         * with 401 or 403, it gets a connect error with the reason (as a bad token does); when the backend
         * could not answer (502, 503), the Engine.IO session is closed, so the client reconnects later.
         */
        private void askBackend(ConnectProxy.Attempt base, String token) {
            authenticating = true;
            proxy.admit(new ConnectProxy.Attempt(token, base.transport(), base.remoteAddress(), base.headers(), base.query()))
                    .subscribe(claims -> {
                        synchronized (this) {
                            authenticating = false;
                            if (!ended) {
                                admit(claims);
                            }
                        }
                    }, error -> {
                        synchronized (this) {
                            authenticating = false;
                            if (ended) {
                                return;
                            }
                            if (error instanceof ConnectProxy.Refused refused && !refused.unavailable()) {
                                refuse(refused.getMessage());
                            } else {
                                engine.close(error instanceof ConnectProxy.Refused refused ? refused.getMessage()
                                        : "connect proxy failed", false);
                            }
                        }
                    });
        }

        /**
         * On a partitioned cluster log the socket joins once its session's state is read from the cluster, and
         * not at all when its Engine.IO session ended meanwhile; when the cluster cannot be read the Engine.IO
         * session is closed, so the client reconnects later. Elsewhere at once.
         */
        private void admit(ClientClaims claims) {
            Mono<Prepared> preparing = node.prepare(claims, null);
            if (preparing == null) {
                admit(claims, null);
                return;
            }
            authenticating = true;
            prepared(preparing, prepared -> admit(claims, prepared));
        }

        /** Waits for the cluster off its Redis thread, then goes on under this socket's lock unless it ended. */
        private void prepared(Mono<Prepared> preparing, Consumer<Prepared> then) {
            NettyChannels.backOn(null, preparing).subscribe(prepared -> {
                synchronized (this) {
                    authenticating = false;
                    if (!ended) {
                        then.accept(prepared);
                    }
                }
            }, error -> {
                synchronized (this) {
                    authenticating = false;
                    if (!ended) {
                        engine.close(Disconnect.TRY_AGAIN_LATER.reason(), false);
                    }
                }
            });
        }

        private void admit(ClientClaims claims, @Nullable Prepared prepared) {
            String refused = start(claims, prepared);
            if (refused != null) {
                refuse(refused);
                return;
            }
            joined = true;
            Session started = session;
            accept(started != null ? started.clientId() : engine.sid);
        }

        /** Protocol 5 names the socket; protocol 4 (Engine.IO 3) has no payload. */
        private void accept(String socketId) {
            engine.send(engine.eio3 ? "40" : "40{\"sid\":\"" + socketId + "\"}");
        }

        /** Protocol 5 sends an object with the message; protocol 4, the message as a JSON string. */
        private void refuse(String message) {
            engine.send("44" + mapper.writeValueAsString(engine.eio3 ? message : Map.of("message", message)));
        }

        /** @return why the node refused the session, or {@code null} when it is open */
        private @Nullable String start(ClientClaims claims, @Nullable Prepared prepared) {
            Session s = node.connect(claims, this, (registered, cursor) -> Frame.control(new byte[0]), null, prepared);
            if (s == null) {
                return node.refusal(claims.uid()).reason();
            }
            session = s;
            authenticated();
            frames = s.frames().subscribe(frame -> {
                if (frame.id() != null) { // a message: control frames (welcome, pings, resets) are pushgate's own
                    engine.send(frame.derived(eventPacket));
                }
            }, error -> close(Disconnect.SHUTDOWN), () -> {
                // everything queued is out (a graceful shutdown): end the connection as the session says
                Disconnect why = s.disconnect();
                close(why != null ? why : Disconnect.SHUTDOWN);
            });
            return null;
        }

        synchronized void event(String rest) {
            int at = 0;
            while (at < rest.length() && Character.isDigit(rest.charAt(at))) {
                at++;
            }
            String ack = rest.substring(0, at);
            // read once: each argument as the client wrote it, the data passed on without being written again
            List<String> args;
            @Nullable String name;
            try {
                args = RawJson.elements(mapper, rest.substring(at));
                if (args == null || args.isEmpty()) {
                    return;
                }
                name = args.get(0).startsWith("\"") ? mapper.readValue(args.get(0), String.class) : null;
            } catch (JacksonException e) {
                return;
            }
            if ("login".equals(name) && trustLogin && joined && session == null) {
                if (authenticating) {
                    return; // a login before is still being read from the cluster
                }
                JsonNode uid = args.size() < 2 ? null : mapper.readTree(args.get(1));
                String login = uid != null && (uid.isString() || uid.isIntegralNumber()) ? uid.asString() : null;
                if (login != null && Names.isValid(login)) {
                    ClientClaims claims = new ClientClaims(login, Set.of(), Set.of(), NEVER);
                    Mono<Prepared> preparing = node.prepare(claims, null);
                    if (preparing != null) { // a partitioned cluster log: acked once the session is open
                        authenticating = true;
                        prepared(preparing, prepared -> loggedIn(claims, prepared, ack));
                        return;
                    }
                    if (!loggedIn(claims, null, "")) {
                        return;
                    }
                }
            } else if (session != null && name != null && !"login".equals(name)) {
                String data = data(args);
                if (!ack.isEmpty()) {
                    call(session, name, data, ack);
                    return;
                }
                try {
                    actions.send(session, name, data);
                } catch (ClientRefusal refusal) {
                    // an emit without an ack has nothing to be told with
                }
            }
            if (!ack.isEmpty()) {
                engine.send("43" + ack + "[]");
            }
        }

        /** @return whether the session opened; when the node refused it, the Engine.IO session is closed */
        private boolean loggedIn(ClientClaims claims, @Nullable Prepared prepared, String ack) {
            if (session != null || !joined) {
                return false; // another login got there first, or the socket left meanwhile
            }
            String refused = start(claims, prepared);
            if (refused != null) {
                engine.close(refused, false);
                return false;
            }
            if (!ack.isEmpty()) {
                engine.send("43" + ack + "[]");
            }
            return true;
        }

        /**
         * An event's data for the backend: one argument as it is, several as an array of them, each exactly as
         * the client wrote it; none is {@code null}.
         */
        private @Nullable String data(List<String> args) {
            if (args.size() < 2) {
                return null;
            }
            return args.size() == 2 ? args.get(1) : "[" + String.join(",", args.subList(1, args.size())) + "]";
        }

        /**
         * An event the client wants an answer to ({@code emit(event, data, callback)}) is a call to the backend
         * named after the event: the callback gets {@code {"ok":true,"data":…}} or {@code {"ok":false,"error":
         * {"code","message"}}}, the WebSocket reply's shape.
         */
        private void call(Session s, String method, @Nullable String data, String ack) {
            Mono<String> answer;
            try {
                answer = actions.call(s, method, data);
            } catch (ClientRefusal refusal) {
                engine.send("43" + ack + "[" + failure(refusal.code(), refusal.getMessage()) + "]");
                return;
            }
            answer.subscribe(json -> engine.send("43" + ack + "[{\"ok\":true,\"data\":" + json + "}]"),
                    error -> engine.send("43" + ack + "[" + (error instanceof BackendCallException failed
                            ? failure(failed.code().wire(), failed.getMessage()) : failure("rpc_failed", "the call failed")) + "]"));
        }

        private String failure(String code, String message) {
            return "{\"ok\":false,\"error\":" + mapper.writeValueAsString(Map.of("code", code, "message", message)) + "}";
        }

        synchronized void leave() {
            joined = false;
            end();
        }

        void gone() {
            authenticated(); // or never will be: the place is free either way
            synchronized (this) {
                joined = false;
                ended = true;
            }
            end();
            forget.accept(engine.sid);
        }

        private void end() {
            Session s;
            Disposable subscription;
            synchronized (this) {
                s = session;
                subscription = frames;
                session = null;
                frames = null;
            }
            if (subscription != null) {
                subscription.dispose();
            }
            if (s != null) {
                node.disconnected(s);
            }
        }

        @Override
        public String name() {
            return "socket.io";
        }

        @Override
        public void close(Disconnect disconnect) {
            engine.close(disconnect.reason(), disconnect.code() == Disconnect.KICKED.code());
        }
    }
}
