package io.pushgate.config;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;

import io.pushgate.api.ApiSettings;
import io.pushgate.api.DirectPublishing;
import io.pushgate.codec.JsonFrames;
import io.pushgate.compat.WebMsgSender;
import io.pushgate.compat.WorkermanTextPort;
import io.pushgate.transport.socketio.SocketIoServer;
import io.pushgate.core.Broker;
import io.pushgate.core.ClientActions;
import io.pushgate.core.Limits;
import io.pushgate.core.LocalBroker;
import io.pushgate.core.NodeMeters;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.ConnectProxy;
import io.pushgate.security.BackendConnectProxy;
import io.pushgate.web.Signatures;
import io.pushgate.core.PushNode;
import io.pushgate.core.History;
import io.pushgate.core.history.InMemoryHistory;
import io.pushgate.security.AdminKeys;
import io.pushgate.security.ApiKeys;
import io.pushgate.security.CookieOrigins;
import io.pushgate.security.CorsPolicy;
import io.pushgate.security.HmacTokens;
import io.pushgate.transport.poll.PollSettings;
import io.pushgate.transport.sse.DirectSse;
import io.pushgate.transport.sse.SseSettings;
import io.pushgate.transport.sse.SseStreams;
import io.pushgate.transport.ws.DirectWebSocket;
import io.pushgate.transport.ws.PushWebSocketHandler;
import io.pushgate.transport.ws.WsSettings;
import io.pushgate.transport.workerman.WorkermanWebSocket;
import io.pushgate.web.Unauthenticated;
import io.pushgate.web.AddressRanges;
import io.pushgate.transport.netty.EventLoopTicks;
import io.pushgate.transport.netty.HttpStage;
import io.pushgate.api.problem.ProblemErrors;
import io.pushgate.api.problem.ProblemWriter;
import io.pushgate.web.TrustedForwardedHeaders;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JsonFactoryBuilderCustomizer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;

import io.netty.channel.ChannelPipeline;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.WebsocketServerSpec;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.databind.json.JsonMapper;

/** Builds the node and its adapters from {@link PushgateProperties}. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PushgateProperties.class)
public class PushgateConfig {

    @Bean
    Secrets secrets(PushgateProperties properties, Environment environment) {
        boolean production = Arrays.asList(environment.getActiveProfiles()).contains("prod");
        return Secrets.resolve(properties, production);
    }

    /**
     * With generated secrets the API is open to whoever reads the console, so the server binds loopback
     * only: development stays on this machine. An explicit {@code server.address} is obeyed as written, and
     * configured secrets keep the usual bind on every interface.
     */
    @Bean
    WebServerFactoryCustomizer<ConfigurableWebServerFactory> developmentBind(Secrets secrets, Environment environment) {
        return new DevelopmentBind(secrets, environment);
    }

    @Bean
    HmacTokens hmacTokens(Secrets secrets, PushgateProperties properties) {
        PushgateProperties.Auth auth = properties.auth();
        return new HmacTokens(secrets.jwtSecret(), auth.jwtKeys(), auth.issuer(), auth.audience());
    }

    /**
     * The connect proxy ({@code pushgate.auth.connect-url}), or {@link ConnectProxy#NONE} when unset. Its
     * requests are signed with {@code pushgate.events.secret}, which it therefore requires. The transports
     * get it with its refusals counted ({@code MetricsConfig}).
     */
    @Bean
    ConnectProxy connectProxy(PushgateProperties properties, JsonMapper mapper) {
        PushgateProperties.Auth auth = properties.auth();
        if (auth.connectUrl() == null) {
            return ConnectProxy.NONE;
        }
        String secret = properties.events().secret();
        if (secret == null || secret.length() < 16) {
            throw new IllegalStateException("pushgate.auth.connect-url needs pushgate.events.secret (at least 16 characters): "
                    + "every request to the backend is signed with it");
        }
        return new BackendConnectProxy(auth.connectUrl(), auth.connectTimeout(), auth.connectMaxInFlight(), auth.connectTtl(),
                new Signatures(secret), mapper, (int) Math.min(Integer.MAX_VALUE, properties.events().maxSessionData().toBytes()));
    }

    @Bean
    ApiKeys apiKeys(Secrets secrets) {
        return new ApiKeys(secrets.apiKeys());
    }

    @Bean
    AdminSecret adminSecret(PushgateProperties properties, Secrets secrets) {
        return AdminSecret.resolve(properties, secrets);
    }

    @Bean
    AdminKeys adminKeys(AdminSecret admin, Secrets secrets) {
        return new AdminKeys(admin.keys(), secrets.apiKeys());
    }

    /**
     * Bounds every JSON document the node parses with its mapper ({@code pushgate.json.*}): nesting depth
     * and number length. Jackson's own defaults (500 levels) are far above what any message needs.
     */
    @Bean
    JsonFactoryBuilderCustomizer jsonReadLimits(PushgateProperties properties) {
        PushgateProperties.Json json = properties.json();
        return builder -> builder.streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(json.maxDepth()).maxNumberLength(json.maxNumberLength()).build());
    }

    /**
     * Forwarded headers only from {@code pushgate.http.trusted-proxies}. Named as WebFlux looks it up; it
     * takes the place of Spring Boot's {@code server.forward-headers-strategy=framework}, which trusts
     * every peer (so that strategy stays {@code none}, as does Netty's {@code native}).
     */
    @Bean(WebHttpHandlerBuilder.FORWARDED_HEADER_TRANSFORMER_BEAN_NAME)
    TrustedForwardedHeaders forwardedHeaderTransformer(PushgateProperties properties) {
        return new TrustedForwardedHeaders(AddressRanges.of(properties.http().trustedProxies(), "pushgate.http.trusted-proxies"));
    }

    @Bean
    JsonFrames jsonFrames(JsonMapper mapper) {
        return new JsonFrames(mapper);
    }

    @Bean
    ProblemWriter problemWriter(JsonMapper mapper) {
        return new ProblemWriter(mapper);
    }

    @Bean
    ProblemErrors problemErrors(ProblemWriter writer) {
        return new ProblemErrors(writer);
    }

    @Bean
    History history(PushgateProperties properties) {
        PushgateProperties.History h = properties.history();
        return new InMemoryHistory(h.window(), h.maxMessages(), h.maxTotalMessages(), h.maxHeldMessages(), Clock.systemUTC());
    }

    @Bean(destroyMethod = "close")
    PushNode pushNode(PushgateProperties properties, JsonFrames frames, History history) {
        String id = properties.node().id();
        if (id == null || id.isBlank()) {
            id = randomNodeId();
        }
        PushgateProperties.SessionLimits s = properties.session();
        return new PushNode(id, new Limits(s.queue(), s.maxPerUid(), s.maxGroups(), s.maxGroupsPerUid(), s.maxMembershipUids()), frames, history, Clock.systemUTC());
    }

    /** The node runs alone unless {@code pushgate.broker=redis} (see {@code RedisBrokerConfig}). */
    @Bean
    @ConditionalOnProperty(name = "pushgate.broker", havingValue = "memory", matchIfMissing = true)
    Broker localBroker(PushNode node, PushgateProperties properties) {
        PushgateProperties.Api api = properties.api();
        return new LocalBroker(node, api.idempotencyWindow(), api.idempotencyMaxKeys(), Clock.systemUTC());
    }

    /** The rules for a client's own joins, leaves and publishes, shared by {@code /ws} and {@code /client/*}. */
    @Bean
    ClientActions clientActions(PushNode node, Broker broker) {
        return new ClientActions(node, node.meters().countedAs(NodeMeters.Source.CLIENT, broker));
    }

    @Bean
    WsSettings wsSettings(PushgateProperties properties) {
        PushgateProperties.Ws ws = properties.ws();
        return new WsSettings(ws.heartbeat(), ws.authTimeout(), (int) ws.maxFrameBytes().toBytes(),
                ws.framesPerSecond(), ws.frameBurst(), ws.maxBadFrames(), ws.writeDelay(), ws.direct(),
                ws.maxUnauthenticated(), ws.maxUnauthenticatedPerAddress());
    }

    /** Connections not yet authenticated, counted together: {@code /ws} waiting for {@code auth}, Engine.IO before its login. */
    @Bean
    Unauthenticated unauthenticated(WsSettings settings) {
        return new Unauthenticated(settings.maxUnauthenticated(), settings.maxUnauthenticatedPerAddress());
    }

    @Bean(destroyMethod = "close")
    PushWebSocketHandler pushWebSocketHandler(PushNode node, ClientActions actions, TokenVerifier tokens, JsonFrames frames,
                                              JsonMapper mapper, WsSettings settings, Unauthenticated unauthenticated,
                                              ConnectProxy proxy) {
        return new PushWebSocketHandler(node, actions, tokens, frames, mapper, settings, unauthenticated, proxy);
    }

    @Bean
    @ConditionalOnProperty(name = "pushgate.compat.web-msg-sender.enabled", havingValue = "true")
    RouterFunction<ServerResponse> webMsgSenderRoutes(Broker broker, PushNode node, JsonMapper mapper, PushgateProperties properties) {
        PushgateProperties.WebMsgSender compat = properties.compat().webMsgSender();
        return new WebMsgSender(node.meters().countedAs(NodeMeters.Source.COMPAT, broker), mapper, AddressRanges.of(compat.allowedFrom(), "pushgate.compat.web-msg-sender.allowed-from"),
                compat.key()).routes();
    }

    @Bean
    @ConditionalOnProperty(name = "pushgate.compat.socket-io.enabled", havingValue = "true")
    SocketIoServer socketIoServer(PushNode node, ClientActions actions, TokenVerifier tokens, JsonMapper mapper, PushgateProperties properties,
                                  Unauthenticated unauthenticated, CookieOrigins cookies, ConnectProxy proxy) {
        PushgateProperties.SocketIo compat = properties.compat().socketIo();
        // pings reach the server, which answers them only while the socket is writable (see SocketIoServer)
        WebSocketService webSockets = new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy(
                () -> WebsocketServerSpec.builder().maxFramePayloadLength(compat.maxPayload()).handlePing(true)));
        return new SocketIoServer(node, actions, tokens, mapper, webSockets, CorsPolicy.webSocketOrigins(properties.cors().allowedOrigins()),
                cookies::listedWithCookies, compat.trustLogin(), compat.pingInterval(), compat.pingTimeout(), compat.maxPayload(),
                compat.maxSessions(), unauthenticated, proxy);
    }

    /** {@code /socket.io/} goes to the Socket.IO server before any other mapping looks at it. */
    @Bean
    @ConditionalOnProperty(name = "pushgate.compat.socket-io.enabled", havingValue = "true")
    SimpleUrlHandlerMapping socketIoMapping(SocketIoServer server) {
        return new SimpleUrlHandlerMapping(Map.of(SocketIoServer.PATH, server, "/socket.io", server), Ordered.HIGHEST_PRECEDENCE);
    }

    @Bean
    @ConditionalOnProperty(name = "pushgate.compat.text-port.enabled", havingValue = "true")
    WorkermanTextPort workermanTextPort(Broker broker, PushNode node, JsonMapper mapper, PushgateProperties properties) {
        PushgateProperties.TextPort text = properties.compat().textPort();
        return new WorkermanTextPort(node.meters().countedAs(NodeMeters.Source.COMPAT, broker), mapper, text.host(), text.port(), text.event(), text.maxLineBytes(),
                text.dataField() == null || text.dataField().isBlank() ? null : text.dataField());
    }

    /**
     * {@code /compat/workerman}, only when switched on: its uid is trusted, so it is never served by
     * default. The path is public (the security config's last chain), as push.php's port was.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "pushgate.compat.workerman-ws.enabled", havingValue = "true")
    WorkermanWebSocket workermanWebSocket(PushNode node, ClientActions actions, JsonMapper mapper, ProblemWriter problems,
                                                        Unauthenticated unauthenticated, WsSettings settings) {
        // a page sends its uid, then frames that go to the backend as messages: /ws's frame limit bounds them
        WebSocketService webSockets = new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy(
                () -> WebsocketServerSpec.builder().maxFramePayloadLength(settings.hardFrameLimit())));
        return new WorkermanWebSocket(node, actions, mapper, webSockets, problems, unauthenticated, settings.authTimeout(),
                settings.heartbeat());
    }

    @Bean
    @ConditionalOnProperty(name = "pushgate.compat.workerman-ws.enabled", havingValue = "true")
    SimpleUrlHandlerMapping workermanWebSocketMapping(WorkermanWebSocket handler) {
        return new SimpleUrlHandlerMapping(Map.of(WorkermanWebSocket.PATH, handler), -1);
    }

    @Bean
    DirectWebSocket directWebSocket(PushWebSocketHandler handler, PushgateProperties properties, CookieOrigins cookies) {
        return new DirectWebSocket(handler, CorsPolicy.webSocketOrigins(properties.cors().allowedOrigins()), cookies);
    }

    @Bean
    ApiSettings apiSettings(PushgateProperties properties) {
        PushgateProperties.Api api = properties.api();
        return new ApiSettings((int) Math.min(Integer.MAX_VALUE, api.maxBodySize().toBytes()), api.maxBatch(), api.maxTargets(),
                api.directPublish(), api.accessLog(), api.rate(), api.rateBurst(),
                (int) Math.min(Integer.MAX_VALUE, properties.events().maxSessionData().toBytes()),
                api.streamMaxInFlight(), properties.shutdown().grace().toMillis());
    }

    /**
     * Puts {@link DirectWebSocket}'s, {@link DirectSse}'s and {@link DirectPublishing}'s handlers right
     * after the HTTP codec of every connection, in that order, so that {@code /ws} upgrades, {@code /sse}
     * streams and publish requests are served before WebFlux; the handlers step aside for anything else. Every
     * loop the server runs on gets an {@link EventLoopTicks} tick, when it binds and, should one be missing,
     * when a connection lands on it.
     *
     * <p>A factory customizer rather than a {@code NettyServerCustomizer} bean: Actuator's server on the
     * management port is built in a child context that takes every {@code NettyServerCustomizer} of this
     * one too, and would then serve {@code /ws} and the rest; factory customizers stay with their context.
     */
    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> serverPipeline(DirectPublishing route, ApiSettings settings,
                                                                            DirectWebSocket webSocket, DirectSse sse) {
        return factory -> factory.addServerCustomizers(server -> server.doOnBind(bind -> {
            // before the first connection, since handing a connection to its loop is itself such a task
            EventLoopTicks.ensureAll(bind.loopResources().onServer(bind.isPreferNative()));
            EventLoopTicks.ensureAll(bind.loopResources().onServerSelect(bind.isPreferNative()));
        }).doOnChannelInit((observer, channel, remote) -> {
            EventLoopTicks.ensure(channel.eventLoop()); // in case a connection lands on a loop the bind did not list
            ChannelPipeline pipeline = channel.pipeline();
            if (settings.directPublish() && pipeline.get(NettyPipeline.HttpCodec) != null) {
                pipeline.addAfter(NettyPipeline.HttpCodec, HttpStage.PUBLISH, route.newHandler());
            }
            if (sse.enabled() && pipeline.get(NettyPipeline.HttpCodec) != null) {
                pipeline.addAfter(NettyPipeline.HttpCodec, HttpStage.SSE, sse.newHandler());
            }
            if (webSocket.enabled() && pipeline.get(NettyPipeline.HttpCodec) != null) {
                pipeline.addAfter(NettyPipeline.HttpCodec, HttpStage.WEBSOCKET, webSocket.newHandler());
            }
        }));
    }

    @Bean
    SseSettings sseSettings(PushgateProperties properties) {
        return new SseSettings(properties.sse().heartbeat(), properties.sse().retry(), properties.sse().direct());
    }

    @Bean(destroyMethod = "close")
    SseStreams sseStreams(PushNode node, JsonFrames frames, SseSettings settings) {
        return new SseStreams(node, frames, settings);
    }

    @Bean
    DirectSse directSse(SseStreams streams, HmacTokens tokens, SseSettings settings, PushgateProperties properties,
                        CookieOrigins cookies) {
        return new DirectSse(streams, tokens, settings.direct(), CorsPolicy.configuration(properties.cors().allowedOrigins()),
                cookies);
    }

    @Bean
    PollSettings pollSettings(PushgateProperties properties) {
        PushgateProperties.Poll poll = properties.poll();
        return new PollSettings(poll.hold(), poll.batch(), poll.grace());
    }

    /** When the {@code pushgate_token} cookie counts: only from pushgate's own and listed origins. */
    @Bean
    CookieOrigins cookieOrigins(PushgateProperties properties) {
        return CookieOrigins.of(properties.cors().allowedOrigins());
    }

    @Bean
    CorsConfigurationSource corsConfigurationSource(PushgateProperties properties) {
        return CorsPolicy.of(properties.cors().allowedOrigins());
    }

    @Bean
    GracefulDrain gracefulDrain(PushNode node, PushgateProperties properties) {
        return new GracefulDrain(node, properties.shutdown().grace());
    }

    @Bean
    StartupBanner startupBanner(Secrets secrets, HmacTokens tokens, Environment environment, AdminSecret admin) {
        return new StartupBanner(secrets, tokens, DevelopmentBind.loopbackOnly(secrets, environment),
                admin.generated() ? admin.keys().get(0) : null);
    }

    private static String randomNodeId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder(6);
        for (int i = 0; i < 6; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }
}
