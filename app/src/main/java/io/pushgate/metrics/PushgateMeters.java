package io.pushgate.metrics;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pushgate.core.Broker;
import io.pushgate.core.History;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.NodeMeters;
import io.pushgate.core.MetricsRole;

/**
 * The node's meters (names in DESIGN.md, Operations), bound to Micrometer. Counting stays in the core
 * ({@link NodeMeters}, {@link MetricsRole}'s counters): the meters here are functions that read those
 * counters when scraped, so a publish or a delivery costs no Micrometer call. The one exception is the
 * fan-out latency histogram, which takes one sample per published frame (not per delivery).
 *
 * <p>Meter names are Micrometer's dotted names; the Prometheus registry adds {@code _total} to counters and
 * the base unit ({@code _seconds}) to timers.
 */
public final class PushgateMeters implements MeterBinder {

    /** Histogram buckets of the fan-out latency: from a fast local write to a badly backed-up event loop. */
    static final Duration[] LATENCY_BUCKETS = {
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MetricsRole node;
    private final Broker broker;
    private final History history;
    /** The last value read for {@code source="api"}, which must never go back; see {@link #apiPublished}. */
    private final AtomicLong apiPublished = new AtomicLong();

    public PushgateMeters(MetricsRole node, Broker broker, History history) {
        this.node = node;
        this.broker = broker;
        this.history = history;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        NodeMeters meters = node.meters();
        meters.listen(new NodeMeters.NewLabels() {
            @Override
            public void transport(String transport) {
                Gauge.builder("pushgate.sessions", meters, m -> m.sessions(transport))
                        .description("Sessions open on this node, by transport")
                        .tag("transport", transport).register(registry);
                FunctionCounter.builder("pushgate.connects", meters, m -> m.connects(transport))
                        .description("Sessions opened on this node since start, by transport")
                        .tag("transport", transport).register(registry);
                FunctionCounter.builder("pushgate.deliveries", meters, m -> m.deliveries(transport))
                        .description("Messages queued to sessions, by transport: one per session a publish reached")
                        .tag("transport", transport).register(registry);
            }

            @Override
            public void disconnect(String transport, int code) {
                FunctionCounter.builder("pushgate.disconnects", meters, m -> m.disconnects(transport, code))
                        .description("Sessions ended, by transport and close code (1000: the client closed it or"
                                + " its connection was lost)")
                        .tags("transport", transport, "code", code == NodeMeters.NO_CODE ? "none" : Integer.toString(code))
                        .register(registry);
            }
        });
        Gauge.builder("pushgate.uids", node, MetricsRole::localUidCount)
                .description("Distinct uids with a session on this node").register(registry);
        for (InvalidTokenException.Reason reason : InvalidTokenException.Reason.values()) {
            FunctionCounter.builder("pushgate.auth.failures", meters, m -> m.authFailures(reason))
                    .description("Client tokens refused, by reason, and sessions of banned uids refused")
                    .tag("reason", reason.label()).register(registry);
        }
        for (NodeMeters.Source source : NodeMeters.Source.values()) {
            FunctionCounter.builder("pushgate.messages.published", node,
                            n -> source == NodeMeters.Source.API ? apiPublished(n) : n.meters().published(source))
                    .description("Publishes this node accepted, by source (api, client, compat)")
                    .tag("source", source.label()).register(registry);
        }
        FunctionCounter.builder("pushgate.slow.consumer.closes", node, MetricsRole::slowClosedCount)
                .description("Sessions closed (4408) because their outbound queue was full").register(registry);
        Timer latency = Timer.builder("pushgate.fanout.latency")
                .description("Sampled: one per published frame, from the publish accepted by this node to the first"
                        + " write of the frame to a WebSocket or SSE socket")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        meters.sampleFanoutLatency(nanos -> latency.record(nanos, TimeUnit.NANOSECONDS));
        Gauge.builder("pushgate.history.messages", history, History::size)
                .description("Messages kept in this node's history, across all streams").register(registry);
        Gauge.builder("pushgate.broker.degraded", broker, b -> b.healthy() ? 0 : 1)
                .description("1 while the broker cannot reach the cluster (Redis unreachable or resyncing), else 0")
                .register(registry);
        Gauge.builder("pushgate.broker.lag", node, n -> n.brokerLagMillis() / 1000.0)
                .description("How late this node applied the latest publish from the cluster's broker; 0 alone")
                .baseUnit("seconds").register(registry);
    }

    /**
     * Every accepted publish not counted from a client or a compatibility adapter. The node counts a
     * publish before its broker answers and the source after, so a scrape in between sees one too many
     * here; the value is held at its maximum so that a counter never goes back (Prometheus would take that
     * for a restart), and is exact again once later publishes catch up.
     */
    private long apiPublished(MetricsRole n) {
        NodeMeters m = n.meters();
        long others = m.published(NodeMeters.Source.CLIENT) + m.published(NodeMeters.Source.COMPAT);
        long api = n.publishedCount() - others;
        return apiPublished.accumulateAndGet(api, Math::max);
    }
}
