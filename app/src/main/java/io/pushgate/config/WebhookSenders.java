package io.pushgate.config;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushgate.events.Webhooks;

import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * What every webhook sender of a node (backend events, Pusher's webhooks) has in its wiring, in one place: it
 * is flushed when the node stops, and it has the same four meters.
 */
final class WebhookSenders {

    private WebhookSenders() {
    }

    /**
     * Sends what is queued when the node stops, for up to the shutdown grace (5 s at most): after the drain,
     * whose disconnects make events too, and before the web server and the HTTP client's resources go. A
     * context that is stopped and started again (the test context cache does that) goes on sending.
     *
     * @param sender the sender, {@code null} when it is off
     */
    static SmartLifecycle flushedAfterDrain(Supplier<@Nullable Webhooks<?>> sender, PushgateProperties properties) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                running = true;
            }

            @Override
            public void stop() {
                Webhooks<?> webhooks = sender.get();
                if (webhooks != null) {
                    Duration grace = properties.shutdown().grace();
                    webhooks.flush(grace.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : grace);
                }
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                return Integer.MAX_VALUE - 1; // stops just after GracefulDrain
            }
        };
    }

    /**
     * {@code <prefix>.sent}, {@code .dropped}, {@code .failures} and {@code .queued}: registered when the sender
     * is off too, at 0, so an alert on them needs no condition.
     *
     * @param owner    what holds the sender: a bean, as Micrometer holds a meter's state only weakly
     * @param sender   the sender of {@code owner}, {@code null} when it is off
     * @param events   what is sent, for the descriptions ("Backend events")
     * @param requests what a request is ("Event batches")
     * @param receiver who receives them ("the backend")
     */
    static <T> void meters(MeterRegistry registry, String prefix, T owner, Function<T, @Nullable Webhooks<?>> sender,
                           String events, String requests, String receiver) {
        FunctionCounter.builder(prefix + ".sent", owner, o -> count(sender.apply(o), Webhooks::sent))
                .description(events + " " + receiver + " accepted (2xx)").register(registry);
        FunctionCounter.builder(prefix + ".dropped", owner, o -> count(sender.apply(o), Webhooks::dropped))
                .description(events + " dropped because the queue (pushgate.events.queue) was full").register(registry);
        FunctionCounter.builder(prefix + ".failures", owner, o -> count(sender.apply(o), Webhooks::failures))
                .description(requests + " " + receiver + " did not accept (each is retried)").register(registry);
        Gauge.builder(prefix + ".queued", owner, o -> count(sender.apply(o), Webhooks::queued))
                .description(events + " waiting to be sent").register(registry);
    }

    private static double count(@Nullable Webhooks<?> sender, java.util.function.ToDoubleFunction<Webhooks<?>> count) {
        return sender == null ? 0 : count.applyAsDouble(sender);
    }
}
