package io.pushgate.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Every {@code pushgate.*} setting, with its default. docs/configuration.md lists the same: its table is
 * generated from the metadata the configuration processor writes from these records (the {@code @param}
 * lines are the descriptions), and ConfigurationDocsTests checks it; environment variables work as usual ({@code PUSHGATE_AUTH_JWT_SECRET}, {@code PUSHGATE_API_KEYS}).
 */
@ConfigurationProperties("pushgate")
public record PushgateProperties(@DefaultValue Node node, @DefaultValue Auth auth, @DefaultValue Api api,
                                 @DefaultValue Ws ws, @DefaultValue SessionLimits session,
                                 @DefaultValue Shutdown shutdown, @DefaultValue History history,
                                 @DefaultValue Sse sse, @DefaultValue Poll poll, @DefaultValue Cors cors,
                                 @DefaultValue("memory") String broker, @DefaultValue Redis redis,
                                 @DefaultValue Compat compat, @DefaultValue Json json,
                                 @DefaultValue Http http, @DefaultValue Admin admin,
                                 @DefaultValue Events events) {

    /**
     * The backend's side: events POSTed to it, client calls (rpc) and session data.
     *
     * @param url             the backend's endpoints for events ({@code connect}, {@code disconnect},
     *                        {@code join}, {@code leave}, {@code message}, {@code online}, {@code offline}),
     *                        POSTed as signed JSON batches {@code {"events":[…]}}; with several, a batch
     *                        that fails on one is retried on the next. None (the default) sends no events
     * @param secret          the secret every request pushgate sends the backend is signed with (event
     *                        batches, rpc calls, the connect proxy's): header {@code X-Pushgate-Signature:
     *                        t=<epoch seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>}; at least 16
     *                        characters, required when any of them is on. Set it in the environment
     *                        ({@code PUSHGATE_EVENTS_SECRET})
     * @param types           the event types sent; empty (the default) sends every type
     * @param queue           events a node holds for the backend at most; past it an event is dropped,
     *                        counted ({@code pushgate_events_dropped_total}) and logged, so a backend that is
     *                        down never makes a node hold unbounded memory or slows delivery
     * @param batch           events in one POST at most
     * @param linger          how long events wait for more to share their POST when fewer than a batch are
     *                        queued: fewer, fuller POSTs for a little latency
     * @param timeout         how long one POST may take before it counts as failed and is retried
     * @param retryMin        the wait before the first retry of a failed batch; doubled each time
     * @param retryMax        the longest wait between retries: a backend that is down is tried this often
     * @param rpcUrl          the backend's endpoint for client calls ({@code {"type":"rpc",…}} frames and
     *                        {@code POST /client/rpc}); none (the default) answers every call with the error
     *                        {@code rpc_unavailable}
     * @param rpcTimeout      how long the backend may take to answer a call; then the client gets
     *                        {@code rpc_timeout}
     * @param rpcPerSession   calls one session may have waiting at once; more get {@code rpc_busy}
     * @param rpcPerNode      calls a node may have waiting at once; more get {@code rpc_busy}
     * @param maxSessionData  the largest session data of one connection ({@code /api/v1/clients/{id}/data},
     *                        as compact JSON); larger gets 413
     */
    public record Events(@DefaultValue List<String> url, @Nullable String secret, @DefaultValue List<String> types,
                         @DefaultValue("10000") int queue, @DefaultValue("100") int batch, @DefaultValue("20ms") Duration linger,
                         @DefaultValue("5s") Duration timeout, @DefaultValue("200ms") Duration retryMin,
                         @DefaultValue("10s") Duration retryMax, @Nullable String rpcUrl,
                         @DefaultValue("5s") Duration rpcTimeout, @DefaultValue("4") int rpcPerSession,
                         @DefaultValue("256") int rpcPerNode, @DefaultValue("4KB") DataSize maxSessionData) {
    }

    /**
     * @param keys operators' keys for the admin page {@code /admin/} and its API {@code /admin/api/},
     *             each at least 16 characters and none also an API key; none (the default) switches the
     *             admin page off (404). Set them in the environment ({@code PUSHGATE_ADMIN_KEYS}), never
     *             in a file that is committed
     */
    public record Admin(@DefaultValue List<String> keys) {
    }

    /**
     * Limits on every JSON document the node reads: API bodies, client frames, client endpoint bodies and
     * compat payloads. A document past one is refused as a whole (400, or a {@code bad_frame} error reply)
     * before any of it is used; without them a body of a few kilobytes of brackets costs a deep recursion.
     *
     * @param maxDepth        how deeply arrays and objects may nest, counting the document's own object
     * @param maxNumberLength the most characters one number may have; the number's text is delivered as
     *                        sent, never converted, so this only bounds the work of checking it
     */
    public record Json(@DefaultValue("64") int maxDepth, @DefaultValue("1000") int maxNumberLength) {
    }

    /**
     * @param trustedProxies peers whose {@code Forwarded} / {@code X-Forwarded-*} headers are applied
     *                       (addresses or CIDR ranges, IPv4 and IPv6; {@code *} trusts every peer); from
     *                       any other peer those headers are removed unread, so scheme, host, origin and
     *                       client address are the connection's own
     */
    public record Http(@DefaultValue({"127.0.0.1", "::1"}) List<String> trustedProxies) {
    }

    /** The compatibility endpoints for the systems pushgate replaces; each is off unless switched on. */
    public record Compat(@DefaultValue WebMsgSender webMsgSender, @DefaultValue TextPort textPort,
                         @DefaultValue SocketIo socketIo, @DefaultValue WorkermanWs workermanWs,
                         @DefaultValue Pusher pusher) {
    }

    /**
     * @param enabled serve the Pusher Channels protocol 7 (pusher-js, Laravel Echo) at {@code /app/{key}} and
     *                Pusher's HTTP API (the {@code pusher} server SDKs, Laravel's broadcaster) at
     *                {@code /apps/{app-id}/}; a channel is the pushgate group of the same name
     * @param appId   the app id the HTTP API's paths carry ({@code PUSHER_APP_ID}); required when enabled
     * @param key     the app key pusher-js connects with and API requests are signed for
     *                ({@code PUSHER_APP_KEY}); required when enabled
     * @param secret  the app secret that signs private and presence channel authorisations and API requests
     *                ({@code PUSHER_APP_SECRET}); required when enabled. Set it in the environment
     *                ({@code PUSHGATE_COMPAT_PUSHER_SECRET}), never in a file that is committed
     * @param webhookUrl    where Pusher's webhooks are POSTed, as Pusher's dashboard sets them (the receiver of
     *                      Laravel's or the SDK's {@code webhook(…)}): {@code {"time_ms":…,"events":[…]}} with
     *                      {@code X-Pusher-Key} the app key and {@code X-Pusher-Signature} the hex HMAC-SHA256 of
     *                      the body with {@code secret}. Several URLs are tried in turn after a failure, as
     *                      {@code pushgate.events.url} is. None (the default) sends no webhook. In a cluster each
     *                      webhook is sent by exactly one node. They are queued, batched and retried as backend
     *                      events are, with {@code pushgate.events.queue}, {@code batch}, {@code linger},
     *                      {@code timeout}, {@code retry-min} and {@code retry-max}; a receiver that is down
     *                      delays nothing else, and what the full queue cannot take is dropped and counted
     *                      ({@code pushgate_pusher_webhooks_dropped_total})
     * @param webhookEvents the webhook events sent, of {@code channel_occupied}, {@code channel_vacated},
     *                      {@code member_added}, {@code member_removed}, {@code client_event}; empty (the default)
     *                      for all
     */
    public record Pusher(@DefaultValue("false") boolean enabled, @Nullable String appId, @Nullable String key,
                         @Nullable String secret, @DefaultValue List<String> webhookUrl,
                         @DefaultValue List<String> webhookEvents) {
    }

    /**
     * @param enabled serve Workerman push.php's pages at {@code /compat/workerman}: the first text frame is
     *                the uid, trusted without a token as push.php did (any page can then claim any uid: only
     *                for pages that already trusted that); each message arrives as its {@code data} alone
     */
    public record WorkermanWs(@DefaultValue("false") boolean enabled) {
    }

    /**
     * @param enabled      serve Socket.IO v4 clients at {@code /socket.io/}
     * @param trustLogin   let {@code emit('login', uid)} bind a uid without a token, as web-msg-sender did
     *                     (any page can then claim any uid: only for pages that already trusted that)
     * @param pingInterval how often the server pings (Engine.IO {@code pingInterval})
     * @param pingTimeout  how long a ping may go unanswered (Engine.IO {@code pingTimeout})
     * @param maxPayload   the largest polling body or WebSocket frame taken, in bytes
     * @param maxSessions  Engine.IO sessions open at once on this node, authenticated or not; more handshakes get 503
     */
    public record SocketIo(@DefaultValue("false") boolean enabled, @DefaultValue("false") boolean trustLogin,
                           @DefaultValue("25s") Duration pingInterval, @DefaultValue("20s") Duration pingTimeout,
                           @DefaultValue("1000000") int maxPayload, @DefaultValue("100000") int maxSessions) {
    }

    /**
     * @param enabled      serve Workerman's inner Text port: one JSON object a line in, {@code ok}/{@code fail} out
     * @param host         the address to bind; loopback by default, since the port has no authentication
     * @param port         the port (Workerman's push.php used 5678); 0 picks a free one
     * @param event        the event of the messages it publishes
     * @param maxLineBytes the longest line taken; a longer one ends the connection
     * @param dataField    the field whose value alone is the message's data, as push.php sent
     *                     {@code $data['percent']} (set {@code percent} for its pages); a line without it gets
     *                     {@code fail}. None (the default): every field besides {@code uid}, as an object
     */
    public record TextPort(@DefaultValue("false") boolean enabled, @DefaultValue("127.0.0.1") String host,
                           @DefaultValue("5678") int port, @DefaultValue("message") String event,
                           @DefaultValue("65536") int maxLineBytes, @Nullable String dataField) {
    }

    /**
     * @param enabled     serve web-msg-sender's push port at {@code /compat/web-msg-sender}
     * @param allowedFrom client addresses or CIDR ranges it takes requests from ({@code *}: any); loopback by
     *                    default, since web-msg-sender's port had no authentication. Behind a proxy listed in
     *                    {@code pushgate.http.trusted-proxies}, the client address is the one it forwards
     * @param key         when set, requests must also carry it as the field {@code key}
     */
    public record WebMsgSender(@DefaultValue("false") boolean enabled,
                               @DefaultValue({"127.0.0.1", "::1"}) List<String> allowedFrom, @Nullable String key) {
    }

    /** @param id this node's id, a prefix of its client ids; random when unset */
    public record Node(@Nullable String id) {
    }

    /**
     * @param jwtSecret HS256 secret for client tokens without {@code kid}, at least 32 bytes; generated (dev
     *                  only) when unset
     * @param jwtKeys   HS256 secrets by key id ({@code pushgate.auth.jwt-keys.<kid>=<secret>}), for rotation:
     *                  a token whose header has {@code kid} is checked with that key only (unknown id: 401)
     * @param issuer    when set, a token's {@code iss} must equal it
     * @param audience  when set, a token's {@code aud} (a string or an array) must hold it
     * @param connectUrl the connect proxy, for backends that cannot sign JWTs: a client whose token is not a
     *                  valid JWT (or that sends cookies and no token) is admitted when this URL answers 200 to
     *                  a signed {@code POST} ({@code pushgate.events.secret}) with {@code {"uid":…}}, and refused
     *                  with its 401/403/429 otherwise; a valid JWT never calls it. Unset (the default): off
     * @param connectTimeout how long the connect URL may take to answer, connecting included; past it the
     *                  client gets 503 (close 1013 after an {@code auth} frame) and should retry
     * @param connectMaxInFlight connect proxy calls waiting for an answer at once on this node; one more is
     *                  refused with 503 at once
     * @param connectTtl how long a session the backend admitted lasts when its answer has no {@code ttl};
     *                  then it is closed with 4401, as at a token's expiry. 0 (the default): until it
     *                  disconnects, as GatewayWorker's were
     */
    public record Auth(@Nullable String jwtSecret, @DefaultValue Map<String, String> jwtKeys, @Nullable String issuer,
                       @Nullable String audience, java.net.@Nullable URI connectUrl,
                       @DefaultValue("5s") Duration connectTimeout, @DefaultValue("1000") int connectMaxInFlight,
                       @DefaultValue("0s") Duration connectTtl) {
    }

    /**
     * @param keys         backend API keys, each at least 16 characters; one is generated (dev only) when unset
     * @param maxBodySize  the largest API request body; larger gets 413
     * @param maxBatch     publishes in one {@code messages:batch} request
     * @param maxTargets   uids + groups + clients in one publish
     * @param directPublish answer publish requests from the Netty pipeline, ahead of WebFlux and the
     *                     security chain (same answers, a fraction of the CPU); off sends them all through WebFlux
     * @param idempotencyWindow how long a publish's idempotency key ({@code Idempotency-Key} header or
     *                     {@code idempotencyKey} member) is remembered: a repeat within it is delivered once,
     *                     cluster-wide, and answered with the first answer plus {@code "duplicate":true}
     * @param idempotencyMaxKeys keys a node running alone remembers at most (the oldest go first); with Redis
     *                     the keys live in Redis, one per key, each for the window
     * @param accessLog    one line per API request on the logger {@code io.pushgate.access}: method, path,
     *                     status, the key's id (never the key), milliseconds
     * @param rate         requests per second each API key may send, a token bucket per key; over it: 429
     *                     {@code rate-limited} with {@code Retry-After}. 0 (the default) for no limit
     * @param rateBurst    requests a key may send at once above its rate: the bucket's size; 0 for one
     *                     second's worth ({@code rate}, at least 1)
     * @param streamMaxInFlight publishes a publish stream ({@code GET /api/v1/stream}) may have read and not
     *                     yet answered; at the cap the server stops reading that stream until an answer is
     *                     written, so a backend pipelining more just waits (TCP back-pressure); at least 1
     */
    public record Api(@DefaultValue List<String> keys, @DefaultValue("1MB") DataSize maxBodySize,
                      @DefaultValue("1000") int maxBatch, @DefaultValue("10000") int maxTargets,
                      @DefaultValue("true") boolean directPublish, @DefaultValue("10m") Duration idempotencyWindow,
                      @DefaultValue("100000") int idempotencyMaxKeys, @DefaultValue("true") boolean accessLog,
                      @DefaultValue("0") double rate, @DefaultValue("0") int rateBurst,
                      @DefaultValue("64") int streamMaxInFlight) {
    }

    /**
     * @param heartbeat       server ping interval; two silent intervals close the client (4408)
     * @param authTimeout     time to send an {@code auth} frame when the handshake had no token (4401)
     * @param maxFrameBytes    largest client frame; over it: error reply, twice: close 1009
     * @param framesPerSecond sustained client frame rate; a second's worth more frames over it: close 4429
     * @param frameBurst      frames a client may send in one burst: the token bucket size, refilled at the rate
     * @param maxBadFrames    consecutive bad frames before closing with 4400
     * @param writeDelay      how long a session's first waiting frame may wait for more before they are
     *                        written together; 0 writes as soon as the event loop has nothing else to do,
     *                        with every frame that session has waiting by then (a loaded loop coalesces
     *                        without a delay). A delay trades latency for fewer writes (system calls) even
     *                        when the loop keeps up
     * @param direct          serve upgrades straight from Netty rather than through WebFlux: the same
     *                        protocol, about a quarter of the memory per connection
     * @param maxUnauthenticated connections open on the node without a token yet: a {@code /ws} waiting for
     *                        its {@code auth} frame (at most {@code auth-timeout}), and, with Socket.IO on, an
     *                        Engine.IO session whose socket has not joined with a token or login; one more
     *                        {@code /ws} upgrade is refused with a 503 problem, one more Engine.IO handshake
     *                        with 503 {@code {"code":3,…}}. A {@code /ws} reads frames of at most 16 KiB until
     *                        it authenticates, so the default bounds them to about 160 MiB in the worst case
     * @param maxUnauthenticatedPerAddress the same per peer address (the connection's own remote address,
     *                        never a forwarded header); raise it to the node's cap when every client comes
     *                        through one proxy
     */
    public record Ws(@DefaultValue("25s") Duration heartbeat, @DefaultValue("10s") Duration authTimeout,
                     @DefaultValue("64KB") DataSize maxFrameBytes, @DefaultValue("20") double framesPerSecond,
                     @DefaultValue("40") int frameBurst, @DefaultValue("10") int maxBadFrames,
                     @DefaultValue("0ms") Duration writeDelay, @DefaultValue("true") boolean direct,
                     @DefaultValue("10000") int maxUnauthenticated,
                     @DefaultValue("100") int maxUnauthenticatedPerAddress) {
    }

    /**
     * @param queue              frames waiting per session before it is closed as slow (4408)
     * @param maxPerUid          sessions per uid on one node; one more is closed with 4429
     * @param maxGroups          groups per session
     * @param maxGroupsPerUid    groups the backend may put one uid in ({@code PUT /api/v1/groups/{g}/uids/{uid}});
     *                           one more is a 409 {@code too-many-uid-groups}. A uid's sessions still join
     *                           at most {@code maxGroups} of them
     * @param maxMembershipUids  uids holding backend memberships, connected or not; a membership for one more
     *                           uid is a 429 {@code too-many-membership-uids}. Memberships of uids that never
     *                           connect are held until deleted, so this bounds what they cost; with Redis it
     *                           is cluster-wide (every node holds every membership)
     */
    public record SessionLimits(@DefaultValue("1024") int queue, @DefaultValue("100") int maxPerUid,
                                @DefaultValue("100") int maxGroups, @DefaultValue("1000") int maxGroupsPerUid,
                                @DefaultValue("100000") int maxMembershipUids) {
    }

    /** @param grace how long SIGTERM waits for sessions to flush and close before cutting them */
    public record Shutdown(@DefaultValue("10s") Duration grace) {
    }

    /**
     * @param window      how long every uid, group, client and {@code all} stream keeps its messages,
     *                    and how old a cursor may be to resume; a message's {@code ttl} may keep it longer
     * @param maxMessages messages per stream; the oldest go first when more arrive
     * @param maxTotalMessages messages on the whole node, all streams together; past it the node's
     *                    oldest message goes first, which bounds memory however many uids get messages
     *                    and however long their {@code ttl}; a cursor from before a message that went
     *                    this way gets a reset
     * @param maxHeldMessages messages held on the whole node for uids that were offline when a {@code ttl}
     *                    message was published to them (also at most {@code maxMessages} per uid); past
     *                    it the oldest hold goes first. The uid's next connect without a cursor does not
     *                    get it; a resume with a cursor still finds it in the uid's stream, or a reset
     */
    public record History(@DefaultValue("2m") Duration window, @DefaultValue("1000") int maxMessages,
                          @DefaultValue("200000") int maxTotalMessages, @DefaultValue("100000") int maxHeldMessages) {

        /** Refuses, at start-up, a setting that would keep nothing or everything. */
        public History {
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("pushgate.history.window must be positive, was " + window);
            }
            requirePositive("pushgate.history.max-messages", maxMessages);
            requirePositive("pushgate.history.max-total-messages", maxTotalMessages);
            requirePositive("pushgate.history.max-held-messages", maxHeldMessages);
        }

        private static void requirePositive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, was " + value);
            }
        }
    }

    /**
     * @param heartbeat a comment line this often keeps proxies from closing an idle stream
     * @param retry     the reconnect delay sent to EventSource once, as {@code retry:}
     * @param direct    serve streams straight from Netty rather than through WebFlux: the same stream,
     *                  a fraction of the memory per connection
     */
    public record Sse(@DefaultValue("15s") Duration heartbeat, @DefaultValue("3s") Duration retry,
                      @DefaultValue("true") boolean direct) {
    }

    /**
     * @param hold  how long a poll with nothing to answer waits for a message before answering empty
     * @param batch messages in one poll answer at most; the rest come with the next poll
     * @param grace how long after its last poll ended a poller still counts as online
     */
    public record Poll(@DefaultValue("25s") Duration hold, @DefaultValue("100") int batch,
                       @DefaultValue("10s") Duration grace) {
    }

    /**
     * @param allowedOrigins origins allowed to use SSE, long-poll and the client endpoints from a browser
     *                       page on another origin (and to open WebSockets when set); empty allows only
     *                       same-origin pages; {@code *} allows any origin without cookies
     */
    public record Cors(@DefaultValue List<String> allowedOrigins) {
    }

    /**
     * Used when {@code pushgate.broker=redis}; where Redis is comes from the standard
     * {@code spring.data.redis.*} settings (host, port, password, ssl, sentinel, cluster).
     *
     * @param prefix      the hash tag every key starts with ({@code {prefix}:...}), so all keys share one
     *                    Redis Cluster slot; clusters of pushgate nodes sharing one Redis use distinct prefixes
     * @param heartbeat   how often a node tells Redis it is alive and reaps nodes that are not
     * @param nodeTimeout a node silent this long is dead: its sessions leave presence at the next
     *                    heartbeat of any other node, so within {@code nodeTimeout + heartbeat}
     * @param timeout     how long one Redis call may take before the node counts Redis as down
     * @param logLength   publishes and presence changes kept in the Redis stream every node reads
     *                    (approximate trim); a node starting up takes its history from there. A node cut
     *                    off from Redis for longer than this many entries last finds the ones it missed
     *                    gone: its sessions get a {@code reset}, never a silent gap
     * @param maxPendingPublishes publishes one node may have waiting for Redis (queued or in the script
     *                    call in flight); past it a publish is answered 503 {@code cluster-degraded} at once
     *                    and never delivered, so a slow Redis cannot make a node hold unbounded memory
     * @param partitions  how many partitions the cluster log's messages are split into (1 to 1024): 1 is one
     *                    log every node reads; more lets each node receive only what its sessions need, over
     *                    pub/sub, and spreads the log over a Redis Cluster's masters (about one per master;
     *                    see docs/partitioned-log.md). Every node of a cluster must use the same value; the
     *                    first records it in Redis and a node with another one stays out. {@code logLength}
     *                    applies to each partition's stream
     */
    public record Redis(@DefaultValue("pushgate") String prefix, @DefaultValue("2s") Duration heartbeat,
                        @DefaultValue("6s") Duration nodeTimeout, @DefaultValue("2s") Duration timeout,
                        @DefaultValue("200000") int logLength, @DefaultValue("10000") int maxPendingPublishes,
                        @DefaultValue("1") int partitions) {
    }
}
