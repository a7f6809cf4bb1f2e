package io.pushgate.config;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pushgate.core.BackendEvent;
import io.pushgate.core.PushNode;
import io.pushgate.events.RpcCalls;
import io.pushgate.web.Signatures;
import io.pushgate.events.WebhookEvents;

import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * The backend's side ({@code pushgate.events.*}): events POSTed to {@code url}, clients' calls to
 * {@code rpc-url}, both signed with {@code secret}. Neither is on by default; a node with neither builds
 * no event and refuses calls with {@code rpc_unavailable}.
 */
@Configuration(proxyBeanMethods = false)
public class EventsConfig {

    /** The pieces that are on, handed to the node when the context starts. */
    record Backend(@Nullable WebhookEvents events, @Nullable RpcCalls calls, @Nullable ConnectionProvider connections)
            implements AutoCloseable {

        /** When the context closes: stop retrying, say what was not sent, let the connections go. */
        @Override
        public void close() {
            if (events != null) {
                events.close();
            }
            if (connections != null) {
                connections.disposeLater().block(Duration.ofSeconds(5));
            }
        }
    }

    @Bean(destroyMethod = "close")
    Backend backend(PushNode node, PushgateProperties properties, JsonMapper mapper) {
        PushgateProperties.Events e = properties.events();
        boolean eventsOn = !e.url().isEmpty();
        boolean callsOn = e.rpcUrl() != null && !e.rpcUrl().isBlank();
        if (!eventsOn && !callsOn) {
            return new Backend(null, null, null);
        }
        Signatures signatures = signatures(e);
        // its own pool: a backend that is slow holds connections of its own, never those of other clients
        ConnectionProvider connections = ConnectionProvider.builder("pushgate-backend")
                .maxConnections(Math.max(16, e.rpcPerNode() + 4)).pendingAcquireMaxCount(-1).build();
        WebClient http = WebClient.builder()
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(connections)))
                .codecs(c -> c.defaultCodecs().maxInMemorySize(1024 * 1024))
                .build();
        WebhookEvents events = null;
        if (eventsOn) {
            Set<BackendEvent.Type> types = EnumSet.noneOf(BackendEvent.Type.class);
            for (String type : e.types()) {
                try {
                    types.add(BackendEvent.Type.ofWireName(type.trim()));
                } catch (IllegalArgumentException bad) {
                    throw new IllegalStateException("pushgate.events.types: " + bad.getMessage(), bad);
                }
            }
            events = new WebhookEvents(new WebhookEvents.Settings(e.url(), types, e.queue(), e.batch(), e.timeout(),
                    e.retryMin(), e.retryMax(), e.linger()), http, signatures, mapper, Clock.systemUTC());
            node.sendEventsTo(events);
        }
        RpcCalls calls = null;
        if (callsOn) {
            calls = new RpcCalls(new RpcCalls.Settings(e.rpcUrl(), e.rpcTimeout(), e.rpcPerSession(), e.rpcPerNode()),
                    http, signatures, mapper, Clock.systemUTC());
            node.sendCallsTo(calls);
        }
        return new Backend(events, calls, connections);
    }

    static Signatures signatures(PushgateProperties.Events e) {
        if (e.secret() == null || e.secret().length() < 16) {
            throw new IllegalStateException("pushgate.events.secret must be set (at least 16 characters) when "
                    + "pushgate.events.url or pushgate.events.rpc-url is: the backend checks every request's signature with it");
        }
        return new Signatures(e.secret());
    }

    /** Sends the events queued when the node stops, after the drain (see {@link WebhookSenders#flushedAfterDrain}). */
    @Bean
    SmartLifecycle eventsFlush(Backend backend, PushgateProperties properties) {
        return WebhookSenders.flushedAfterDrain(() -> backend.events() == null ? null : backend.events().webhooks(), properties);
    }

    /**
     * {@code pushgate_events_*} (sent, dropped, failures, queued) and {@code pushgate_rpc_in_flight}: registered
     * when events are off too, at 0, so an alert on them needs no condition.
     */
    @Bean
    MeterBinder eventsMeters(Backend backend) {
        return registry -> {
            WebhookSenders.meters(registry, "pushgate.events", backend, b -> b.events() == null ? null : b.events().webhooks(),
                    "Backend events", "Event batches", "the backend");
            Gauge.builder("pushgate.rpc.in.flight", backend, b -> b.calls() == null ? 0 : b.calls().inFlight())
                    .description("Client calls waiting for the backend's answer").register(registry);
        };
    }
}
