package io.pushgate.transport.workerman;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.netty.channel.Channel;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemWriter;
import io.pushgate.codec.RawJson;
import io.pushgate.core.ClientActions;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.ClientRefusal;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.Names;
import io.pushgate.core.Prepared;
import io.pushgate.core.Session;
import io.pushgate.core.Transport;
import io.pushgate.core.TransportRole;
import io.pushgate.transport.netty.NettyChannels;
import io.pushgate.web.Unauthenticated;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Workerman push.php's pages, unchanged: {@code new WebSocket(url)}, {@code ws.send(uid)} once open, and
 * {@code ws.onmessage = e => …e.data…}. The first text frame names the uid and is trusted, as push.php
 * trusted it (any page can claim any uid: only switched on for pages that already did that); later frames
 * are read and ignored, as push.php ignored them. The connection is then a pushgate session of transport
 * {@value #TRANSPORT} with no groups, so it gets what is published to its uid and to everyone; a group's
 * messages reach it only if the backend puts the session in the group.
 *
 * <p>Each message is one text frame holding only its {@code data}: a JSON string as its raw text (what
 * push.php's {@code $connection->send($message)} wrote), any other value as its JSON text, exactly as
 * published. The page sees no welcome, no JSON pings and no cursors; it cannot resume, as push.php's could
 * not.
 *
 * <p>Bounds, as for every transport: a connection waiting for its uid counts among the node's
 * unauthenticated connections ({@code pushgate.ws.max-unauthenticated}, past which the upgrade is a 503)
 * and is closed after {@code pushgate.ws.auth-timeout}; a uid that fails
 * {@link Names} closes with {@link #INVALID_UID}; a refusal of the node (draining, banned, too many
 * sessions for the uid) closes with its own code; a page that does not read closes with 4408 when its
 * queue fills, so a publish never waits for it; a page that answers none of the WebSocket pings sent
 * every {@code pushgate.ws.heartbeat} for two of them closes with 4408 too.
 */
public final class WorkermanWebSocket implements WebHandler {

    /** Where pages connect. */
    public static final String PATH = "/compat/workerman";

    /** The transport's name in stats and meters. */
    public static final String TRANSPORT = "workerman";

    /** The first frame was not a usable uid; the page must not send it again. */
    public static final Disconnect INVALID_UID = new Disconnect(4400,
            "the first frame must be a uid: 1-" + Names.MAX_LENGTH + " characters without spaces or control characters");

    /** No uid came within the time given to authenticate. */
    public static final Disconnect UID_TIMEOUT = new Disconnect(4401, "no uid frame in time");

    /** Past the cap of connections not yet authenticated, node-wide or for the page's address. */
    static final Problem TOO_MANY_WAITING = new Problem("too-many-unauthenticated", HttpStatus.SERVICE_UNAVAILABLE,
            "too many connections are waiting to send their uid; retry later");

    /** How long a close frame may wait behind data the page has not read before the connection is cut. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    /** Sessions bound by a trusted uid have no token, so no expiry: they end with their connection. */
    private static final Instant NEVER = Instant.parse("9999-12-31T23:59:59Z");

    private final TransportRole node;
    private final ClientActions actions;
    private final JsonMapper mapper;
    private final WebSocketService webSockets;
    private final ProblemWriter problems;
    private final Unauthenticated unauthenticated;
    private final Duration uidTimeout;
    private final long silenceNanos;
    private final Disposable heartbeats;
    /** A message frame's data as the page gets it, made once per publish (not per session). */
    private final Function<Frame, String> dataText;

    /**
     * @param webSockets does the upgrade (and bounds the frames a page may send)
     * @param uidTimeout how long a connection may wait before sending its uid
     * @param heartbeat  how often a session's page is sent a WebSocket ping, which browsers answer on their
     *                   own; a page that answers nothing for two of these is closed with 4408
     */
    public WorkermanWebSocket(TransportRole node, ClientActions actions, JsonMapper mapper, WebSocketService webSockets, ProblemWriter problems,
                                     Unauthenticated unauthenticated, Duration uidTimeout, Duration heartbeat) {
        this.node = node;
        this.actions = actions;
        this.mapper = mapper;
        this.webSockets = webSockets;
        this.problems = problems;
        this.unauthenticated = unauthenticated;
        this.uidTimeout = uidTimeout;
        this.silenceNanos = heartbeat.toNanos() * 2;
        this.heartbeats = node.heartbeats(TRANSPORT, heartbeat);
        this.dataText = frame -> {
            // RawJson keeps data's exact text: numbers and escapes reach the page as they were published
            String text = RawJson.text(mapper, RawJson.read(mapper, frame.json()).get(RawJson.DATA));
            if (text == null) {
                return "null";
            }
            // a JSON string is the text it holds, unescaped, as push.php sent its string
            return text.startsWith("\"") ? mapper.readValue(text, String.class) : text;
        };
    }

    /**
     * Upgrades the request, once the connection has a place among those not yet authenticated (its TCP
     * peer's, never a forwarded header's: the header is whatever the client writes); past the cap, a 503
     * problem before the upgrade, as {@code /ws} answers.
     */
    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        Channel channel = NettyChannels.of(exchange);
        Unauthenticated.Permit pending = unauthenticated.admit(channel != null ? channel.remoteAddress()
                : exchange.getRequest().getRemoteAddress());
        if (pending == null) {
            return problems.write(exchange, TOO_MANY_WAITING);
        }
        return webSockets.handleRequest(exchange, socket -> new Connection(socket, channel, pending).serve())
                .doOnError(e -> pending.release()) // the upgrade failed: no connection will release it
                .doOnCancel(pending::release);
    }

    /** Stops the heartbeat. */
    public void close() {
        heartbeats.dispose();
    }

    private static CloseStatus status(Disconnect disconnect) {
        return new CloseStatus(disconnect.code(), disconnect.reason());
    }

    /**
     * What a page sends after its uid goes to the backend as a {@code message} event (GatewayWorker's
     * {@code onMessage}), the text as a JSON string; push.php read nothing there, so without a backend it is
     * dropped as before.
     */
    private void said(Session session, String text) {
        try {
            actions.send(session, ClientActions.DEFAULT_EVENT, mapper.writeValueAsString(text));
        } catch (ClientRefusal refusal) {
            // no backend: as push.php, nothing reads it
        }
    }

    /** One page's connection: waiting for its uid, then a session. */
    private final class Connection implements Transport {

        private final WebSocketSession socket;
        /** The connection's channel, to cut a close that cannot get through; {@code null} off Netty. */
        private final @Nullable Channel channel;
        private final Unauthenticated.Permit pending;
        private final AtomicBoolean closing = new AtomicBoolean();
        /** The session once the uid is in; empty if the connection ends first. */
        private final Sinks.One<Session> opened = Sinks.one();
        private final Disposable timeout;
        /** Guarded by this: whether the first text frame has been taken. */
        private boolean named;
        /** Guarded by this. */
        private @Nullable Session session;
        /** Guarded by this: once set, the connection is over and no session opens. */
        private boolean ended;
        /**
         * WebSocket pings, protocol frames the page's code never sees: push.php sent none, but without
         * them a page whose network vanished would stay online (and the Text port answer {@code ok} for
         * it) until TCP gave up. A new one goes only once the last is answered ({@link #pingUnanswered}),
         * so the buffer holds at most one, whatever the page reads or sends.
         */
        private final Sinks.Many<WebSocketMessage> pings = Sinks.many().unicast().onBackpressureBuffer();
        private final AtomicBoolean pingUnanswered = new AtomicBoolean();
        /** When the page last sent anything (a pong included), {@link System#nanoTime()}. */
        private volatile long heard = System.nanoTime();

        Connection(WebSocketSession socket, @Nullable Channel channel, Unauthenticated.Permit pending) {
            this.socket = socket;
            this.channel = channel;
            this.pending = pending;
            this.timeout = Mono.delay(uidTimeout).subscribe(tick -> {
                synchronized (this) {
                    if (named) {
                        return;
                    }
                }
                close(UID_TIMEOUT);
            });
        }

        /** Done when the page has gone or the session has ended and the close frame is sent. */
        Mono<Void> serve() {
            Mono<Void> inbound = socket.receive()
                    .doOnNext(this::onMessage)
                    .then()
                    .onErrorResume(e -> Mono.empty()); // a dropped socket ends the inbound with an error: a normal end
            // what the node queues for the session, data only; control frames (welcome, pings) are pushgate's own
            Flux<WebSocketMessage> messages = opened.asMono()
                    .flatMapMany(Session::frames)
                    .filter(frame -> frame.id() != null)
                    .map(frame -> {
                        WebSocketMessage message = socket.textMessage(frame.derived(dataText));
                        frame.written();
                        return message;
                    })
                    .doFinally(signal -> pings.tryEmitComplete()); // the session's end ends the outbound
            Flux<WebSocketMessage> outbound = Flux.merge(messages, pings.asFlux());
            Mono<Void> sending = socket.send(outbound)
                    // the session ended (slow, kicked, shutdown after its queue is written): say why before WebFlux closes with 1000
                    .then(Mono.defer(this::closeAsSessionSays))
                    .onErrorResume(e -> Mono.empty());
            // whichever ends first ends the other: a page gone cancels the writes, a session ended stops reading
            return Mono.firstWithSignal(inbound, sending).doFinally(signal -> ended());
        }

        private Mono<Void> closeAsSessionSays() {
            Session s;
            synchronized (this) {
                s = session;
            }
            if (s != null) {
                Disconnect why = s.disconnect();
                close(why != null ? why : Disconnect.SHUTDOWN); // the close frame is sent before this returns
            }
            return Mono.empty();
        }

        private void onMessage(WebSocketMessage message) {
            heard = System.nanoTime();
            if (message.getType() == WebSocketMessage.Type.PONG) {
                pingUnanswered.set(false);
            }
            if (message.getType() != WebSocketMessage.Type.TEXT) {
                return;
            }
            Session talking = null;
            synchronized (this) {
                if (ended) {
                    return;
                }
                if (named) {
                    talking = session;
                    if (talking == null) {
                        return; // its session is still opening
                    }
                } else {
                    named = true;
                }
            }
            if (talking != null) {
                said(talking, message.getPayloadAsText());
                return;
            }
            timeout.dispose();
            String uid = message.getPayloadAsText();
            if (!Names.isValid(uid)) {
                close(INVALID_UID);
                return;
            }
            ClientClaims claims = new ClientClaims(uid, Set.of(), Set.of(), NEVER);
            Mono<Prepared> preparing = node.prepare(claims, null);
            if (preparing == null) {
                open(claims, null);
                return;
            }
            // on a partitioned cluster log the session opens once the cluster is read, off its Redis thread, and
            // not at all when the page left meanwhile; a cluster that cannot be read closes with 1013 (reconnect)
            NettyChannels.backOn(channel, preparing).subscribe(prepared -> open(claims, prepared), error -> {
                pending.release();
                close(Disconnect.TRY_AGAIN_LATER);
            });
        }

        private void open(ClientClaims claims, @Nullable Prepared prepared) {
            synchronized (this) {
                if (ended) {
                    return; // ended() gave its place back
                }
            }
            String uid = claims.uid();
            // no greeting: push.php's pages get nothing but messages, so the welcome is never written
            Session s = node.connect(claims, this, (registered, cursor) -> Frame.control(new byte[0]), null, prepared);
            pending.release();
            if (s == null) {
                close(node.refusal(uid));
                return;
            }
            boolean gone;
            synchronized (this) {
                gone = ended;
                if (!gone) {
                    session = s;
                }
            }
            if (gone) {
                node.disconnected(s); // the page left while the session opened
                return;
            }
            opened.tryEmitValue(s);
        }

        /** The connection is over: give back its place and take its session out of the node. */
        private void ended() {
            Session s;
            synchronized (this) {
                ended = true;
                s = session;
                session = null;
            }
            timeout.dispose();
            pending.release(); // idempotent
            opened.tryEmitEmpty();
            if (s != null) {
                node.disconnected(s);
            }
        }

        @Override
        public String name() {
            return TRANSPORT;
        }

        /** A tick of the node's heartbeat (never blocks: it runs under a lock of the node, its shard's). */
        @Override
        public void heartbeat(Frame ping) {
            if (System.nanoTime() - heard > silenceNanos) {
                Session s;
                synchronized (this) {
                    s = session;
                }
                if (s != null) {
                    s.endedWith(Disconnect.HEARTBEAT_TIMEOUT);
                }
                close(Disconnect.HEARTBEAT_TIMEOUT);
                return;
            }
            if (pingUnanswered.compareAndSet(false, true)) {
                pings.tryEmitNext(socket.pingMessage(factory -> factory.wrap(new byte[0])));
            }
        }

        /**
         * Sends the close frame (the first close wins: Reactor Netty sends one) and, as {@code /ws} does,
         * takes the session out of presence at once rather than when the page answers, and cuts the
         * connection if the frame has not got through within {@link #CLOSE_TIMEOUT}: a page that reads
         * nothing would otherwise keep its connection, and its place in presence, until TCP gave up.
         * Never blocks and never takes the node's locks on the caller's thread, which may hold them.
         */
        @Override
        public void close(Disconnect disconnect) {
            socket.close(status(disconnect)).subscribe(null, e -> { });
            if (!closing.compareAndSet(false, true)) {
                return;
            }
            Runnable outOfPresence = () -> {
                Session s;
                synchronized (this) {
                    s = session;
                }
                if (s != null) {
                    s.endedWith(disconnect); // counted with the node's reason if it closed the session first
                    node.disconnected(s);
                }
            };
            Channel own = channel;
            if (own == null) {
                Schedulers.parallel().schedule(outOfPresence);
                return;
            }
            own.eventLoop().execute(outOfPresence);
            own.eventLoop().schedule(() -> {
                own.close();
            }, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
