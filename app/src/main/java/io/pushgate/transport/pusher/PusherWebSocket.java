package io.pushgate.transport.pusher;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pushgate.codec.RawJson;
import io.pushgate.core.Broker;
import io.pushgate.core.ClientActions;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.ClientRefusal;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.Prepared;
import io.pushgate.core.Session;
import io.pushgate.core.TokenBucket;
import io.pushgate.core.Transport;
import io.pushgate.core.TransportRole;
import io.pushgate.transport.netty.DirectOutlet;
import io.pushgate.transport.netty.NettyChannels;

import org.jspecify.annotations.Nullable;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pusher Channels protocol 7 at {@code /app/{key}}, as pusher-js (and so Laravel Echo) speaks it. A connection
 * is a pushgate session of transport {@value #TRANSPORT} from the moment it opens: Pusher clients have no
 * token, so the session's uid is an anonymous one of its own ({@code pusher-…}, one per connection), and its
 * client id is its {@code socket_id} (see {@link SocketIds}).
 *
 * <p>A channel is the pushgate group of the same name. A public channel is joined on
 * {@code pusher:subscribe}; a {@code private-} or {@code presence-} one only with an {@code auth} the app
 * secret signed ({@link PusherApp#authorises}); {@code private-encrypted-} channels are refused. Whatever is
 * published to a group the connection is in arrives as {@code {"event","channel","data"}} with {@code data} a
 * string (a JSON string's text, any other value's JSON text); what is published to its uid or to everyone
 * arrives without {@code channel}. {@code client-} events on private and presence channels go to the
 * channel's other connections, within {@code pushgate.ws.frames-per-second}.
 *
 * <p>Close codes follow Pusher's ranges, which pusher-js acts on: 4001 (no such app) and 4009 (kicked,
 * banned) are not retried, 4100 (over capacity: too many sessions, too slow) after a back-off, 4200 (server
 * shutting down) and 4201 (no pong) at once.
 */
public final class PusherWebSocket implements WebHandler {

    /** Where pusher-js connects: {@code /app/{key}?protocol=7&client=js&version=…}. */
    public static final String PATH = "/app/*";

    /** The transport's name in stats and meters. */
    public static final String TRANSPORT = "pusher";

    /** Pusher's activity timeout in seconds: how long pusher-js waits in silence before it pings. */
    static final int ACTIVITY_TIMEOUT = 120;

    static final Disconnect NO_SUCH_APP = new Disconnect(4001, "App key not in this cluster");
    static final Disconnect BAD_PROTOCOL = new Disconnect(4007, "Unsupported protocol version");
    static final Disconnect UNAUTHORIZED = new Disconnect(4009, "Connection is unauthorized");
    static final Disconnect OVER_CAPACITY = new Disconnect(4100, "Over capacity");
    static final Disconnect RECONNECT = new Disconnect(4200, "Generic reconnect immediately");
    static final Disconnect NO_PONG = new Disconnect(4201, "Pong reply not received");
    static final Disconnect TOO_FAST = new Disconnect(4301, "Client event rejected due to rate limit");

    /** Marks the frames of this transport's own (pongs, subscription answers) in a session's queue. */
    private static final String OWN = "pusher:frame";
    private static final Instant NEVER = Instant.parse("9999-12-31T23:59:59Z");
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final PusherApp app;
    private final TransportRole node;
    private final ClientActions actions;
    private final Broker broker;
    private final PusherPresence presence;
    /** Pusher's webhooks, {@code null} when no webhook URL is set. */
    private final @Nullable PusherWebhooks webhooks;
    private final JsonMapper mapper;
    private final WebSocketService webSockets;
    private final double framesPerSecond;
    private final int frameBurst;
    private final long heartbeatNanos;
    private final Disposable heartbeats;
    /** A message as Pusher's {@code [event, channel or null, data string]}, made once per publish. */
    /** A message frame as Pusher's text, encoded once per publish (see {@link Frame#derived}). */
    private final Function<Frame, PusherMessage> pusherMessage;
    private final String uidPrefix = "pusher-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36) + "-";
    private final AtomicLong uids = new AtomicLong();

    /**
     * @param webhooks        where client events are told as {@code client_event} webhooks, {@code null} for nowhere
     * @param framesPerSecond frames a connection may send a second (a token bucket of {@code frameBurst})
     * @param heartbeat       how often a silent connection is sent {@code pusher:ping}; two of them
     *                        unanswered close it with 4201
     */
    public PusherWebSocket(PusherApp app, TransportRole node, ClientActions actions, Broker broker, PusherPresence presence,
                           @Nullable PusherWebhooks webhooks, JsonMapper mapper, WebSocketService webSockets, double framesPerSecond, int frameBurst, Duration heartbeat) {
        this.app = app;
        this.node = node;
        this.actions = actions;
        this.broker = broker;
        this.presence = presence;
        this.webhooks = webhooks;
        this.mapper = mapper;
        this.webSockets = webSockets;
        this.framesPerSecond = framesPerSecond;
        this.frameBurst = frameBurst;
        this.heartbeatNanos = heartbeat.toNanos();
        this.heartbeats = node.heartbeats(TRANSPORT, heartbeat);
        this.pusherMessage = frame -> {
            JsonNode message = RawJson.read(mapper, frame.json());
            String event = message.path("event").asString("message");
            String group = message.path("to").path("group").isString() ? message.path("to").path("group").asString() : null;
            String data = dataString(RawJson.text(mapper, message.get(RawJson.DATA)));
            byte[] bare = event(event, null, data).getBytes(StandardCharsets.UTF_8);
            return new PusherMessage(group, group == null ? bare : event(event, group, data).getBytes(StandardCharsets.UTF_8), bare);
        };
    }

    /**
     * A message in Pusher's form, for every session it reaches: with {@code "channel"} for a session in its
     * group, without for one it reaches otherwise (by uid, by client id, by a broadcast).
     */
    private record PusherMessage(@Nullable String group, byte[] inChannel, byte[] bare) {
    }

    /** Stops the heartbeat. */
    public void close() {
        heartbeats.dispose();
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        String key = path.substring(path.lastIndexOf('/') + 1);
        String protocol = exchange.getRequest().getQueryParams().getFirst("protocol");
        Channel channel = NettyChannels.of(exchange);
        Disconnect refused = !app.key().equals(key) ? NO_SUCH_APP
                : protocol == null || !protocol.matches("[5-7]") ? BAD_PROTOCOL : null;
        return webSockets.handleRequest(exchange, socket -> refused != null ? refuse(socket, refused) : open(socket, channel));
    }

    /**
     * A connection's session. On a partitioned cluster log it opens once what it needs is read from the cluster,
     * back on the connection's event loop, and not at all when the connection went meanwhile; when the
     * cluster cannot be read the client is told to reconnect (1013, as Pusher's 4200). Elsewhere at once.
     */
    private Mono<Void> open(WebSocketSession socket, @Nullable Channel channel) {
        ClientClaims claims = new ClientClaims(uidPrefix + Long.toString(uids.incrementAndGet(), 36), Set.of(), Set.of(), NEVER);
        Mono<Prepared> preparing = node.prepare(claims, null);
        if (preparing == null) {
            return new Connection(socket, channel, claims, null).serve();
        }
        return NettyChannels.backOn(channel, preparing.map(Optional::of)
                        .onErrorReturn(Optional.empty())
                        .defaultIfEmpty(Optional.empty()))
                .flatMap(prepared -> !socket.isOpen() ? Mono.<Void>empty()
                        : prepared.isEmpty() ? refuse(socket, pusherCode(Disconnect.TRY_AGAIN_LATER))
                        : new Connection(socket, channel, claims, prepared.get()).serve());
    }

    /** Pusher's way of refusing a connection: a {@code pusher:error} with the code, then the close. */
    private Mono<Void> refuse(WebSocketSession socket, Disconnect why) {
        return socket.send(Mono.just(socket.textMessage(error(why.code(), why.reason()))))
                .then(socket.close(new CloseStatus(why.code(), why.reason())));
    }

    private String error(@Nullable Integer code, String message) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("code", code);
        data.put("message", message);
        return event("pusher:error", null, data);
    }

    /** A Pusher message whose data is written as it is (an object, or a string already). */
    private String event(String event, @Nullable String channel, Object data) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("event", event);
        if (channel != null) {
            message.put("channel", channel);
        }
        message.put("data", data);
        return mapper.writeValueAsString(message);
    }

    /** Pusher's {@code data} is a string: a JSON string's text, any other JSON value's text. */
    private String dataString(@Nullable String json) {
        if (json == null) {
            return "null";
        }
        return json.startsWith("\"") ? mapper.readValue(json, String.class) : json;
    }

    private static Frame own(String text) {
        return new Frame(text.getBytes(StandardCharsets.UTF_8), null, OWN);
    }

    /** A pushgate close reason as the Pusher close code pusher-js acts on. */
    static Disconnect pusherCode(Disconnect d) {
        if (d.code() >= 4000 && d.code() < 4400 && d.code() != 4001 || d.code() == NO_SUCH_APP.code()) {
            return d; // already Pusher's
        }
        return switch (d.code()) {
            case 4403, 4401 -> new Disconnect(UNAUTHORIZED.code(), d.reason());
            case 4408 -> d.equals(Disconnect.HEARTBEAT_TIMEOUT) ? NO_PONG : new Disconnect(OVER_CAPACITY.code(), d.reason());
            case 4429 -> new Disconnect(OVER_CAPACITY.code(), d.reason());
            case 1001, 1013 -> new Disconnect(RECONNECT.code(), d.reason());
            default -> d;
        };
    }

    /** One pusher-js connection and its session. */
    private final class Connection implements Transport {

        private final WebSocketSession socket;
        private final @Nullable Channel channel;
        private final AtomicBoolean closing = new AtomicBoolean();
        private final TokenBucket bucket;
        /** {@code null} only when the node refused the connection, which {@link #serve} then ends at once. */
        private final @Nullable Session opened;
        private final String uid;
        private final String socketId;
        /** Guarded by this: the presence channels it is a member of. */
        private final Set<String> presenceChannels = new java.util.HashSet<>();
        private int overRate;
        private volatile long heard = System.nanoTime();
        /** The session's outlet when it writes straight to the channel (see {@link #outlet}); else {@code null}. */
        private volatile @Nullable DirectOutlet direct;

        Connection(WebSocketSession socket, @Nullable Channel channel, ClientClaims claims, @Nullable Prepared prepared) {
            this.socket = socket;
            this.channel = channel;
            this.bucket = new TokenBucket(framesPerSecond, frameBurst, System.nanoTime());
            Session s = node.connect(claims, this, (registered, cursor) -> own(event("pusher:connection_established", null,
                    mapper.writeValueAsString(Map.of("socket_id", SocketIds.of(registered.clientId()),
                            "activity_timeout", ACTIVITY_TIMEOUT)))), null, prepared);
            this.opened = s;
            this.uid = claims.uid();
            this.socketId = s == null ? "" : SocketIds.of(s.clientId());
        }

        /**
         * Writes straight to the Netty channel, as {@code /ws} does ({@link DirectOutlet}): one task per turn
         * of the loop writes everything queued and flushes once, with no reactive pipeline per message. Without
         * a channel at hand the session's default outbox is drained through WebFlux's session instead.
         */
        @Override
        public io.pushgate.core.@Nullable Outlet outlet(int capacity) {
            Channel netty = channel;
            if (netty == null) {
                return null;
            }
            DirectOutlet own = new DirectOutlet(netty, capacity) {
                @Override
                protected boolean write(Frame frame) {
                    byte[] text = text(frame);
                    if (text == null || !netty.isActive()) {
                        return false;
                    }
                    // the bytes are shared by every session the publish reaches (a wrapper, no copy), and never written to
                    netty.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(text)), netty.voidPromise());
                    return true;
                }
            };
            direct = own;
            return own;
        }

        /** The session, once {@link #serve} has checked it opened. */
        private Session session() {
            return java.util.Objects.requireNonNull(opened);
        }

        Mono<Void> serve() {
            if (opened == null) {
                Disconnect why = pusherCode(node.refusal(uid));
                return refuse(socket, why);
            }
            Mono<Void> inbound = socket.receive()
                    .doOnNext(this::onMessage)
                    .then()
                    .onErrorResume(e -> Mono.empty());
            DirectOutlet own = direct;
            Mono<Void> written = own != null ? own.drained() : socket.send(session().frames()
                    .<WebSocketMessage>handle((frame, sink) -> {
                        byte[] text = text(frame);
                        if (text != null) {
                            // the bytes are shared by every session the publish reaches, and never written to
                            sink.next(new WebSocketMessage(WebSocketMessage.Type.TEXT, socket.bufferFactory().wrap(text)));
                            frame.written();
                        }
                    }));
            Mono<Void> sending = written
                    .then(Mono.defer(() -> {
                        Disconnect why = session().disconnect();
                        close(why != null ? why : Disconnect.SHUTDOWN);
                        return Mono.<Void>empty();
                    }))
                    .onErrorResume(e -> Mono.empty());
            return Mono.firstWithSignal(inbound, sending).doFinally(signal -> ended());
        }

        /**
         * The Pusher text of a frame of the session's queue (UTF-8), or {@code null} for the node's own control
         * frames; a message's is encoded once per publish, whichever sessions it reaches.
         */
        private byte @Nullable [] text(Frame frame) {
            if (OWN.equals(frame.event())) {
                return frame.json();
            }
            if (frame.id() == null || frame.json().length == 0) {
                return null;
            }
            PusherMessage message = frame.derived(pusherMessage);
            return message.group() != null && session().groups().contains(message.group()) ? message.inChannel() : message.bare();
        }

        private void send(String text) {
            session().send(own(text));
        }

        private void onMessage(WebSocketMessage message) {
            heard = System.nanoTime();
            if (message.getType() != WebSocketMessage.Type.TEXT) {
                return;
            }
            String text = message.getPayloadAsText();
            if (!bucket.tryTake(System.nanoTime())) {
                send(error(TOO_FAST.code(), "Client event rejected - only " + (long) framesPerSecond + " accepted per second"));
                if (++overRate > framesPerSecond) {
                    session().endedWith(Disconnect.RATE_LIMITED);
                    close(TOO_FAST);
                }
                return;
            }
            overRate = 0;
            JsonNode frame;
            try {
                frame = RawJson.read(mapper, text);
            } catch (JacksonException e) {
                send(error(null, "Invalid JSON"));
                return;
            }
            String event = frame.path("event").asString("");
            String dataText = RawJson.text(mapper, frame.get(RawJson.DATA)); // kept as sent, for client events
            switch (event) {
                case "pusher:ping" -> send(event("pusher:pong", null, "{}"));
                case "pusher:pong" -> { }
                case "pusher:subscribe" -> {
                    JsonNode data = commandData(dataText);
                    subscribe(data.path("channel").asString(null), data.path("auth").asString(null),
                            data.path("channel_data").isString() ? data.path("channel_data").asString() : null);
                }
                case "pusher:unsubscribe" -> unsubscribe(commandData(dataText).path("channel").asString(null));
                default -> {
                    if (event.startsWith("client-")) {
                        clientEvent(event, frame.path("channel").asString(null), dataText);
                    }
                }
            }
        }

        /** A command's data: an object, or (as some clients send it) a string holding one; empty when neither. */
        private JsonNode commandData(@Nullable String dataText) {
            try {
                JsonNode data = dataText == null ? mapper.createObjectNode() : mapper.readTree(dataText);
                return data.isString() ? mapper.readTree(data.asString()) : data;
            } catch (JacksonException e) {
                return mapper.createObjectNode();
            }
        }

        private void subscribe(@Nullable String channelName, @Nullable String auth, @Nullable String channelData) {
            if (channelName == null) {
                send(error(null, "pusher:subscribe needs a channel"));
                return;
            }
            if (channelName.startsWith("private-encrypted-")) {
                subscriptionError(channelName, "NotSupported", "end-to-end encrypted channels (private-encrypted-) are not supported by pushgate yet", 400);
                return;
            }
            boolean isPresence = channelName.startsWith("presence-");
            boolean isPrivate = channelName.startsWith("private-");
            if ((isPrivate || isPresence) && !app.authorises(auth, socketId, channelName, isPresence ? channelData : null)) {
                subscriptionError(channelName, "AuthError", "Invalid signature: the auth does not sign "
                        + socketId + ":" + channelName + (isPresence ? ":<channel_data>" : "") + " with the app's secret", 401);
                send(error(UNAUTHORIZED.code(), "Connection is unauthorized for " + channelName));
                return;
            }
            PusherPresence.@Nullable Member member = null;
            if (isPresence) {
                member = member(channelData);
                if (member == null) {
                    subscriptionError(channelName, "BadChannelData", "channel_data must be a JSON object with user_id", 400);
                    return;
                }
                // the member goes in the session data first, so every node knows it when it hears of the join
                setMember(channelName, member);
            }
            try {
                actions.joinVouched(session(), channelName);
            } catch (ClientRefusal refusal) {
                if (member != null) {
                    setMember(channelName, null);
                }
                subscriptionError(channelName, refusal.code(), refusal.getMessage(), refusal.reason() == ClientRefusal.Reason.TOO_MANY_GROUPS ? 429 : 400);
                return;
            }
            if (member == null) {
                send(event("pusher_internal:subscription_succeeded", channelName, "{}"));
                return;
            }
            synchronized (this) {
                presenceChannels.add(channelName);
            }
            presence.subscribe(channelName, session().clientId(), (channel, name, dataJson) -> send(event(name, channel, dataJson)));
        }

        /** Puts the connection's member of the channel in its session data, or takes it out ({@code null}). */
        private void setMember(String channelName, PusherPresence.@Nullable Member member) {
            synchronized (this) {
                String data = presence.withMember(session().data(), channelName, member);
                broker.setSessionData(session().clientId(), data).subscribe(null, e -> { }); // this node's own session: at once
            }
        }

        private void subscriptionError(String channelName, String type, String message, int status) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("type", type);
            data.put("error", message);
            data.put("status", status);
            send(event("pusher:subscription_error", channelName, data));
        }

        private PusherPresence.@Nullable Member member(@Nullable String channelData) {
            if (channelData == null) {
                return null;
            }
            JsonNode parsed;
            try {
                parsed = RawJson.read(mapper, channelData);
            } catch (JacksonException e) {
                return null;
            }
            JsonNode userId = parsed.path("user_id");
            if (!(userId.isString() || userId.isIntegralNumber()) || userId.asString().isEmpty()) {
                return null;
            }
            return new PusherPresence.Member(userId.asString(), RawJson.text(mapper, parsed.get("user_info")));
        }

        /** Publishes to the channel's other connections, cluster-wide, through the broker. */
        private void tellOthers(String channelName, String event, String dataJson) {
            try {
                actions.publishToOthers(session(), channelName, event, dataJson).subscribe(null, e -> { });
            } catch (ClientRefusal refusal) {
                // no longer in the channel: nobody to tell from here
            }
        }

        private void unsubscribe(@Nullable String channelName) {
            if (channelName == null) {
                return;
            }
            boolean wasPresence = unwatch(channelName);
            try {
                actions.leave(session(), channelName);
            } catch (ClientRefusal refusal) {
                // a bad name was never joined
            }
            if (wasPresence) {
                setMember(channelName, null); // after the leave: every node tells member_removed on the leave itself
            }
        }

        /** Stops telling the connection of the channel's members. @return whether it was a presence subscription */
        private boolean unwatch(String channelName) {
            synchronized (this) {
                if (!presenceChannels.remove(channelName)) {
                    return false;
                }
            }
            presence.unsubscribe(channelName, session().clientId());
            return true;
        }

        private void clientEvent(String event, @Nullable String channelName, @Nullable String dataJson) {
            if (channelName == null || !(channelName.startsWith("private-") || channelName.startsWith("presence-"))) {
                send(error(null, "Client event rejected - only supported on private and presence channels"));
                return;
            }
            if (!session().groups().contains(channelName)) {
                send(error(null, "Client event rejected - the connection is not subscribed to " + channelName));
                return;
            }
            tellOthers(channelName, event, dataJson == null ? "null" : dataJson);
            PusherWebhooks hooks = webhooks;
            if (hooks != null) { // told by this node, the sender's, so once in a cluster
                PusherPresence.Member member = channelName.startsWith(PusherPresence.PREFIX)
                        ? presence.memberIn(session().data(), channelName) : null;
                hooks.clientEvent(channelName, event, dataString(dataJson), socketId, member == null ? null : member.userId());
            }
            try {
                actions.send(session(), event, dataJson); // a backend `message` event, as /ws's send frame makes
            } catch (ClientRefusal refusal) {
                // no backend takes client messages (pushgate.events.url, types): the channel heard it all the same
            }
        }

        /** The connection is over: it hears no more of presence, then its session ends. */
        private void ended() {
            if (opened == null) {
                return;
            }
            java.util.List<String> left;
            synchronized (this) {
                left = new java.util.ArrayList<>(presenceChannels);
            }
            left.forEach(this::unwatch); // its members go with the session, on every node
            node.disconnected(session());
        }

        @Override
        public String name() {
            return TRANSPORT;
        }

        /** Pings a connection that has been silent for a heartbeat; closes one silent for two (4201). */
        @Override
        public void heartbeat(Frame ping) {
            long silent = System.nanoTime() - heard;
            if (silent > 2 * heartbeatNanos) {
                session().endedWith(Disconnect.HEARTBEAT_TIMEOUT);
                close(NO_PONG);
            } else if (silent > heartbeatNanos / 2) {
                send(event("pusher:ping", null, "{}"));
            }
        }

        @Override
        public void close(Disconnect disconnect) {
            Disconnect pusher = pusherCode(disconnect);
            socket.close(new CloseStatus(pusher.code(), pusher.reason())).subscribe(null, e -> { });
            if (!closing.compareAndSet(false, true)) {
                return;
            }
            Channel own = channel;
            if (own == null) {
                Schedulers.parallel().schedule(this::ended);
                return;
            }
            own.eventLoop().execute(this::ended);
            own.eventLoop().schedule(() -> {
                own.close();
            }, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
