package io.pushgate.config;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import io.micrometer.core.instrument.binder.MeterBinder;

import io.pushgate.api.ApiSettings;
import io.pushgate.core.Broker;
import io.pushgate.core.ClientActions;
import io.pushgate.core.NodeMeters;
import io.pushgate.core.PushNode;
import io.pushgate.events.Webhooks;
import io.pushgate.transport.pusher.PusherApp;
import io.pushgate.transport.pusher.PusherHttpApi;
import io.pushgate.transport.pusher.PusherPresence;
import io.pushgate.transport.pusher.PusherWebSocket;
import io.pushgate.transport.pusher.PusherWebhooks;
import io.pushgate.transport.ws.WsSettings;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;

import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Pusher protocol ({@code pushgate.compat.pusher.*}), only when switched on: pusher-js at
 * {@code /app/{key}} and the HTTP API at {@code /apps/{app_id}/}. Both paths are public in the security
 * config (its last chain): the WebSocket needs no token, as Pusher's does not, and the API checks Pusher's
 * own request signature.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "pushgate.compat.pusher.enabled", havingValue = "true")
class PusherConfig {

    @Bean
    PusherApp pusherApp(PushgateProperties properties) {
        PushgateProperties.Pusher pusher = properties.compat().pusher();
        return new PusherApp(nonNull(pusher.appId(), "app-id"), nonNull(pusher.key(), "key"), nonNull(pusher.secret(), "secret"));
    }

    private static String nonNull(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("pushgate.compat.pusher.enabled needs pushgate.compat.pusher." + name);
        }
        return value;
    }

    @Bean
    PusherPresence pusherPresence(PushNode node, JsonMapper mapper) {
        PusherPresence presence = new PusherPresence(mapper);
        node.watchGroups(presence);
        return presence;
    }

    /** Pusher's webhooks when {@code webhook-url} is set: the sender, the watcher and their HTTP connections. */
    record Hooks(@Nullable Webhooks<PusherWebhooks.Event> sender, @Nullable PusherWebhooks watcher,
                 @Nullable ConnectionProvider connections) implements AutoCloseable {

        /** When the context closes: stop retrying, say what was not sent, let the connections go. */
        @Override
        public void close() {
            if (sender != null) {
                sender.close();
            }
            if (connections != null) {
                connections.disposeLater().block(Duration.ofSeconds(5));
            }
        }
    }

    @Bean(destroyMethod = "close")
    Hooks pusherHooks(PusherApp app, PushNode node, PusherPresence presence, PushgateProperties properties, JsonMapper mapper) {
        PushgateProperties.Pusher pusher = properties.compat().pusher();
        if (pusher.webhookUrl().isEmpty()) {
            return new Hooks(null, null, null);
        }
        for (String url : pusher.webhookUrl()) {
            checkUrl(url);
        }
        Set<String> wanted = new LinkedHashSet<>();
        pusher.webhookEvents().forEach(name -> wanted.add(name.trim()));
        PushgateProperties.Events e = properties.events();
        // its own pool: a receiver that is slow holds connections of its own, never the backend's or clients'
        ConnectionProvider connections = ConnectionProvider.builder("pushgate-pusher-webhooks").maxConnections(4)
                .pendingAcquireMaxCount(-1).build();
        WebClient http = WebClient.builder().clientConnector(new ReactorClientHttpConnector(HttpClient.create(connections))).build();
        Webhooks<PusherWebhooks.Event> sender = new Webhooks<>(new Webhooks.Settings("Pusher webhooks", pusher.webhookUrl(),
                e.queue(), e.batch(), e.timeout(), e.retryMin(), e.retryMax(), e.linger()), http,
                PusherWebhooks.format(app, mapper, Clock.systemUTC()));
        PusherWebhooks watcher;
        try {
            watcher = new PusherWebhooks(presence, wanted.isEmpty() ? Set.copyOf(PusherWebhooks.NAMES) : wanted, sender::send);
        } catch (IllegalArgumentException bad) {
            throw new IllegalStateException("pushgate.compat.pusher.webhook-events: " + bad.getMessage(), bad);
        }
        if (watcher.watchesChannels()) {
            node.watchGroupEdges(watcher);
        }
        return new Hooks(sender, watcher, connections);
    }

    /** A webhook URL that cannot be POSTed to fails the start, rather than every webhook later. */
    private static void checkUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException bad) {
            throw new IllegalStateException("pushgate.compat.pusher.webhook-url: '" + url + "' is not a URL", bad);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalStateException("pushgate.compat.pusher.webhook-url: '" + url + "' is not an http(s) URL with a host");
        }
    }

    /** Sends the webhooks queued when the node stops, after the drain (see {@link WebhookSenders#flushedAfterDrain}). */
    @Bean
    SmartLifecycle pusherHooksFlush(Hooks hooks, PushgateProperties properties) {
        return WebhookSenders.flushedAfterDrain(hooks::sender, properties);
    }

    /** {@code pushgate_pusher_webhooks_*} (sent, dropped, failures, queued), at 0 when no webhook URL is set. */
    @Bean
    MeterBinder pusherHooksMeters(Hooks hooks) {
        return registry -> WebhookSenders.meters(registry, "pushgate.pusher.webhooks", hooks, Hooks::sender,
                "Pusher webhook events", "Pusher webhook requests", "the receiver");
    }

    @Bean(destroyMethod = "close")
    PusherWebSocket pusherWebSocket(PusherApp app, PushNode node, ClientActions actions, Broker broker, PusherPresence presence,
                                    Hooks hooks, JsonMapper mapper, WsSettings settings) {
        // client events are frames like /ws's: the same frame limit bounds them
        WebSocketService webSockets = new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy(
                () -> WebsocketServerSpec.builder().maxFramePayloadLength(settings.hardFrameLimit())));
        return new PusherWebSocket(app, node, actions, broker, presence, hooks.watcher(), mapper, webSockets, settings.framesPerSecond(),
                settings.frameBurst(), settings.heartbeat());
    }

    @Bean
    PusherHttpApi pusherHttpApi(PusherApp app, Broker broker, PushNode node, PusherPresence presence, JsonMapper mapper,
                                ApiSettings settings) {
        return new PusherHttpApi(app, node.meters().countedAs(NodeMeters.Source.COMPAT, broker), node, presence, mapper,
                settings.maxBodyBytes(), Clock.systemUTC());
    }

    @Bean
    SimpleUrlHandlerMapping pusherMapping(PusherWebSocket webSocket, PusherHttpApi api) {
        return new SimpleUrlHandlerMapping(Map.of(PusherWebSocket.PATH, webSocket, PusherHttpApi.PATH, api), -1);
    }
}
