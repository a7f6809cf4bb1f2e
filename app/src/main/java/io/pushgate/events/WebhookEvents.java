package io.pushgate.events;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.pushgate.core.BackendEvent;
import io.pushgate.core.BackendEvents;
import io.pushgate.web.Signatures;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Delivers the node's events to the backend: queued (at most {@code queue}, never blocking the node), sent
 * in batches of at most {@code batch} as one signed POST, one batch at a time, so the backend gets each
 * node's events in the order they happened.
 *
 * <p>Guarantees: at-least-once for every event that was queued. A batch that fails (no answer within the
 * timeout, a status other than 2xx, no connection) is sent again, the same events under the same ids,
 * after a wait that starts at {@code retryMin} and doubles up to {@code retryMax}, to the next of the
 * backend's URLs; the queue meanwhile keeps what comes. An event that finds the queue full is dropped,
 * counted, and logged (once per 10 s with the count), so a backend that is down costs a bounded amount of
 * memory and never slows delivery to clients. Events still queued when the node stops are sent for up to
 * the shutdown grace and then lost: the backend can tell from presence what it missed.
 */
public final class WebhookEvents implements BackendEvents, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookEvents.class);
    private static final long WARN_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

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

    private final Settings settings;
    private final Set<BackendEvent.Type> wanted;
    private final WebClient http;
    private final Signatures signatures;
    private final EventJson json;
    private final Clock clock;
    private final Queue<BackendEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean sending = new AtomicBoolean();
    private final LongAdder sent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong lastDropWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private final AtomicLong droppedSinceWarning = new AtomicLong();
    private final AtomicLong lastFailureWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private volatile int urlIndex;
    private volatile boolean closed;

    public WebhookEvents(Settings settings, WebClient http, Signatures signatures, tools.jackson.databind.json.JsonMapper mapper,
                         Clock clock) {
        if (settings.urls().isEmpty()) {
            throw new IllegalArgumentException("at least one URL is needed");
        }
        this.settings = settings;
        this.wanted = settings.types().isEmpty() ? EnumSet.allOf(BackendEvent.Type.class) : EnumSet.copyOf(settings.types());
        this.http = http;
        this.signatures = signatures;
        this.json = new EventJson(mapper);
        this.clock = clock;
    }

    @Override
    public boolean wants(BackendEvent.Type type) {
        return wanted.contains(type);
    }

    @Override
    public void send(BackendEvent event) {
        if (queued.incrementAndGet() > settings.queue()) {
            queued.decrementAndGet();
            dropped.increment();
            droppedSinceWarning.incrementAndGet();
            warnDropped();
            return;
        }
        queue.offer(event);
        kick();
    }

    /** Events queued now. */
    public int queued() {
        return queued.get();
    }

    public long sent() {
        return sent.sum();
    }

    public long dropped() {
        return dropped.sum();
    }

    /** POSTs that failed (each is retried). */
    public long failures() {
        return failures.sum();
    }

    /**
     * Starts a sender unless one runs: exactly one batch is in flight while events are queued. It waits
     * {@code linger} first, so that a trickle of events goes out in batches, not a POST each.
     */
    private void kick() {
        if (!closed && sending.compareAndSet(false, true)) {
            sendSoon(); // off the caller's thread, which may hold the node's locks
        }
    }

    /** The next batch now when a full one is waiting, else after {@code linger}. */
    private void sendSoon() {
        if (queued.get() >= settings.batch() || settings.linger().isZero()) {
            Schedulers.parallel().schedule(this::next);
        } else {
            Schedulers.parallel().schedule(this::next, settings.linger().toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private void next() {
        List<BackendEvent> batch = new ArrayList<>(Math.min(settings.batch(), Math.max(1, queued.get())));
        BackendEvent e;
        while (batch.size() < settings.batch() && (e = queue.poll()) != null) {
            batch.add(e);
        }
        if (batch.isEmpty()) {
            sending.set(false);
            if (!queue.isEmpty()) { // an event came between the poll and the flag
                kick();
            }
            return;
        }
        post(json.batch(batch), batch.size(), 0);
    }

    private void post(byte[] body, int count, int attempt) {
        String url = settings.urls().get(Math.floorMod(urlIndex, settings.urls().size()));
        http.post().uri(url)
                .contentType(MediaType.APPLICATION_JSON)
                .header(Signatures.HEADER, signatures.sign(body, clock.instant()))
                .bodyValue(body)
                .retrieve()
                .toBodilessEntity()
                .timeout(settings.timeout())
                .subscribe(answer -> {
                    queued.addAndGet(-count);
                    sent.add(count);
                    if (queued.get() == 0) {
                        sending.set(false);
                        if (!queue.isEmpty()) { // an event came between the check and the flag
                            kick();
                        }
                    } else {
                        sendSoon();
                    }
                }, error -> {
                    failures.increment();
                    warnFailed(url, error, count);
                    urlIndex++;
                    if (closed) {
                        queued.addAndGet(-count);
                        sending.set(false);
                        return;
                    }
                    Mono.delay(backoff(attempt)).subscribe(tick -> post(body, count, attempt + 1));
                });
    }

    private Duration backoff(int attempt) {
        long min = settings.retryMin().toMillis();
        long wait = min << Math.min(attempt, 20);
        return Duration.ofMillis(Math.min(Math.max(min, wait), settings.retryMax().toMillis()));
    }

    private void warnDropped() {
        long now = System.nanoTime();
        long last = lastDropWarning.get();
        if (now - last >= WARN_EVERY_NANOS && lastDropWarning.compareAndSet(last, now)) {
            log.warn("Backend events queue is full ({} events): dropped {} events since the last warning; is {} down?",
                    settings.queue(), droppedSinceWarning.getAndSet(0), settings.urls());
        }
    }

    private void warnFailed(String url, Throwable error, int count) {
        long now = System.nanoTime();
        long last = lastFailureWarning.get();
        if (now - last >= WARN_EVERY_NANOS && lastFailureWarning.compareAndSet(last, now)) {
            log.warn("Backend events: a batch of {} to {} failed ({}); retrying, {} events queued", count, url,
                    describe(error), queued.get());
        }
    }

    static String describe(Throwable error) {
        if (error instanceof org.springframework.web.reactive.function.client.WebClientResponseException status) {
            return "status " + status.getStatusCode().value();
        }
        if (error instanceof java.util.concurrent.TimeoutException) {
            return "no answer in time";
        }
        return error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
    }

    /** Waits up to {@code grace} for what is queued to be sent, then stops retrying. Never called on an event loop. */
    public void flush(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        while (queued.get() > 0 && System.nanoTime() < deadline) {
            kick();
            try {
                Thread.sleep(20); // shutdown only: no event loop waits here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        int lost = queued.get();
        if (lost > 0) {
            log.warn("Backend events: {} events still queued were not delivered before the node stopped", lost);
        }
    }
}
