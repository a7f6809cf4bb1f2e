package io.pushgate.events;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pushgate.core.BackendEvent;
import io.pushgate.core.BackendEvents;
import io.pushgate.web.Signatures;

import org.springframework.web.reactive.function.client.WebClient;

/**
 * Delivers the node's events to the backend through {@link Webhooks}: queued (at most {@code queue}, never
 * blocking the node), sent in batches of at most {@code batch} as one POST signed with
 * {@link Signatures} ({@code X-Pushgate-Signature}), one batch at a time, so the backend gets each node's
 * events in the order they happened.
 *
 * <p>Guarantees ({@link Webhooks}'): at-least-once for every event that was queued. A batch that fails is
 * sent again, the same events under the same ids, with a backoff from {@code retryMin} to {@code retryMax},
 * to the next of the backend's URLs. An event that finds the queue full is dropped, counted, and logged.
 * Events still queued when the node stops are sent for up to the shutdown grace and then lost: the backend
 * can tell from presence what it missed.
 */
public final class WebhookEvents implements BackendEvents, AutoCloseable {

    /**
     * @param urls     the backend's endpoints, tried in turn after a failure
     * @param types    the types sent; empty for all
     * @param queue    events held at most
     * @param batch    events per POST at most
     * @param linger   how long a batch that is not full waits for more before it is sent
     */
    public record Settings(List<String> urls, Set<BackendEvent.Type> types, int queue, int batch, Duration timeout,
                           Duration retryMin, Duration retryMax, Duration linger) {
    }

    private final Set<BackendEvent.Type> wanted;
    private final Webhooks<BackendEvent> webhooks;

    public WebhookEvents(Settings settings, WebClient http, Signatures signatures, tools.jackson.databind.json.JsonMapper mapper,
                         Clock clock) {
        if (settings.urls().isEmpty()) {
            throw new IllegalArgumentException("at least one URL is needed");
        }
        this.wanted = settings.types().isEmpty() ? EnumSet.allOf(BackendEvent.Type.class) : EnumSet.copyOf(settings.types());
        EventJson json = new EventJson(mapper);
        this.webhooks = new Webhooks<>(new Webhooks.Settings("Backend events", settings.urls(), settings.queue(), settings.batch(),
                settings.timeout(), settings.retryMin(), settings.retryMax(), settings.linger()), http, new Webhooks.Format<>() {
                    @Override
                    public byte[] body(List<BackendEvent> batch) {
                        return json.batch(batch);
                    }

                    @Override
                    public Map<String, String> headers(byte[] body) {
                        return Map.of(Signatures.HEADER, signatures.sign(body, clock.instant()));
                    }
                });
    }

    @Override
    public boolean wants(BackendEvent.Type type) {
        return wanted.contains(type);
    }

    @Override
    public void send(BackendEvent event) {
        webhooks.send(event);
    }

    /** The sender underneath: its queue, counts and flush. */
    public Webhooks<BackendEvent> webhooks() {
        return webhooks;
    }

    /** Events queued now. */
    public int queued() {
        return webhooks.queued();
    }

    public long sent() {
        return webhooks.sent();
    }

    public long dropped() {
        return webhooks.dropped();
    }

    /** POSTs that failed (each is retried). */
    public long failures() {
        return webhooks.failures();
    }

    /** Waits up to {@code grace} for what is queued to be sent, then stops retrying. Never called on an event loop. */
    public void flush(Duration grace) {
        webhooks.flush(grace);
    }

    @Override
    public void close() {
        webhooks.close();
    }
}
