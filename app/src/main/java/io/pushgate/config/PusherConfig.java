package io.pushgate.config;

import java.time.Clock;
import java.util.Map;

import io.pushgate.api.ApiSettings;
import io.pushgate.core.Broker;
import io.pushgate.core.ClientActions;
import io.pushgate.core.NodeMeters;
import io.pushgate.core.PushNode;
import io.pushgate.transport.pusher.PusherApp;
import io.pushgate.transport.pusher.PusherHttpApi;
import io.pushgate.transport.pusher.PusherPresence;
import io.pushgate.transport.pusher.PusherWebSocket;
import io.pushgate.transport.ws.WsSettings;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;

import reactor.netty.http.server.WebsocketServerSpec;
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

    @Bean(destroyMethod = "close")
    PusherWebSocket pusherWebSocket(PusherApp app, PushNode node, ClientActions actions, Broker broker, PusherPresence presence,
                                    JsonMapper mapper,
                                    WsSettings settings) {
        // client events are frames like /ws's: the same frame limit bounds them
        WebSocketService webSockets = new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy(
                () -> WebsocketServerSpec.builder().maxFramePayloadLength(settings.hardFrameLimit())));
        return new PusherWebSocket(app, node, actions, broker, presence, mapper, webSockets, settings.framesPerSecond(),
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
