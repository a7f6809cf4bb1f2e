package io.pushgate.transport.ws;

import java.util.Map;

import io.pushgate.api.problem.ProblemWriter;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;

import reactor.netty.http.server.WebsocketServerSpec;

/** Maps {@code /ws} and tunes the upgrade: frame limit, and the handshake claims carried into the session. */
@Configuration(proxyBeanMethods = false)
public class WebSocketConfig {

    @Bean
    HandlerMapping webSocketMapping(PushWebSocketHandler handler) {
        return new SimpleUrlHandlerMapping(Map.of("/ws", handler), -1);
    }

    @Bean
    WebFluxConfigurer webSocketServiceConfigurer(WsSettings settings, ProblemWriter problems) {
        return new WebFluxConfigurer() {
            @Override
            public WebSocketService getWebSocketService() {
                var strategy = new ReactorNettyRequestUpgradeStrategy(() -> WebsocketServerSpec.builder()
                        .maxFramePayloadLength(settings.hardFrameLimit())
                        // pings reach the connection, which answers them within its bound (see
                        // WsConnection#onPing); Reactor Netty would answer every one, however much waits unread
                        .handlePing(true));
                return new ClaimsBindingWebSocketService(new HandshakeWebSocketService(strategy), problems);
            }
        };
    }
}
