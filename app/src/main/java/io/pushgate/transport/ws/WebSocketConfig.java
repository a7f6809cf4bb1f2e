package io.pushgate.transport.ws;

import java.util.Map;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.support.WebSocketHandlerAdapter;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;

import reactor.netty.http.server.WebsocketServerSpec;

/** Maps {@code /ws} and sets the upgrade's frame limit. */
@Configuration(proxyBeanMethods = false)
public class WebSocketConfig {

    @Bean
    HandlerMapping webSocketMapping(PushWebSocketHandler handler) {
        return new SimpleUrlHandlerMapping(Map.of("/ws", handler), -1);
    }

    @Bean
    WebSocketService webSocketService(WsSettings settings) {
        var strategy = new ReactorNettyRequestUpgradeStrategy(() -> WebsocketServerSpec.builder()
                .maxFramePayloadLength(settings.hardFrameLimit())
                .handlePing(false));
        var service = new HandshakeWebSocketService(strategy);
        // carries the claims verified by the security chain into the session
        service.setSessionAttributePredicate(PushWebSocketHandler.CLAIMS_ATTRIBUTE::equals);
        return service;
    }

    @Bean
    WebSocketHandlerAdapter webSocketHandlerAdapter(WebSocketService webSocketService) {
        return new WebSocketHandlerAdapter(webSocketService);
    }
}
