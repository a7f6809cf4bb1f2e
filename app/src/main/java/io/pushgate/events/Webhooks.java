package io.pushgate.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Delivers things that happened on this node to a receiver over HTTP: queued (at most {@code queue}, never
 * blocking the node), sent in batches of at most {@code batch} as one signed JSON POST, one batch at a time,
 * so the receiver gets this node's events in the order they were queued. What a batch's body looks like and
 * how it is signed is the {@link Format}'s: pushgate's backend events ({@link WebhookEvents}) and Pusher's
 * webhooks share this machinery.
 *
 * <p>Guarantees: at-least-once for every event that was queued. A batch that fails (no answer within the
 * timeout, a status other than 2xx, no connection) is sent again, the same body, after a wait that starts
 * at {@code retryMin} and doubles up to {@code retryMax}, to the next of the receiver's URLs; the queue
 * meanwhile keeps what comes. An event that finds the queue full is dropped, counted, and logged (once per
 * 10 s with the count), so a receiver that is down costs a bounded amount of memory and never slows delivery
 * to clients. Events still queued when the node stops are sent for up to the shutdown grace
 * ({@link #flush}) and then lost.
 *
 * @param <E> what is queued
 */
public final class Webhooks<E> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);
    private static final long WARN_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    /** How a batch is written and signed. Called off the node's threads, one batch at a time. */
    public interface Format<E> {

        /** The body of one POST: the exact bytes sent, and signed. */
        byte[] body(List<E> batch);

        /** The headers that sign {@code body} (never logged: they may carry what a secret made). */
        Map<String, String> headers(byte[] body);
    }

    /**
     * @param name   what the logs call these ("Backend events", "Pusher webhooks")
     * @param urls   the receiver's endpoints, tried in turn after a failure
     * @param queue  events held at most
     * @param batch  events per POST at most
     * @param linger how long a batch that is not full waits for more before it is sent
     */
    public record Settings(String name, List<String> urls, int queue, int batch, Duration timeout,
                           Duration retryMin, Duration retryMax, Duration linger) {
        public Settings {
            urls = List.copyOf(urls);
            if (urls.isEmpty()) {
                throw new IllegalArgumentException("at least one URL is needed");
            }
        }
    }

    private final Settings settings;
    private final WebClient http;
    private final Format<E> format;
    private final Queue<E> queue = new ConcurrentLinkedQueue<>();
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

    public Webhooks(Settings settings, WebClient http, Format<E> format) {
        this.settings = settings;
        this.http = http;
        this.format = format;
    }

    /** Queues the event, or drops and counts it when the queue is full; never blocks. */
    public void send(E event) {
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

    /** Events the receiver accepted (2xx). */
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
            Schedulers.parallel().schedule(this::next, settings.linger().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void next() {
        List<E> batch = new ArrayList<>(Math.min(settings.batch(), Math.max(1, queued.get())));
        E e;
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
        post(format.body(batch), batch.size(), 0);
    }

    private void post(byte[] body, int count, int attempt) {
        String url = settings.urls().get(Math.floorMod(urlIndex, settings.urls().size()));
        // signed at each attempt: a signature that carries a time stays fresh across retries
        Map<String, String> signature = format.headers(body);
        http.post().uri(url)
                .contentType(MediaType.APPLICATION_JSON)
                .headers(headers -> signature.forEach(headers::set))
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
            log.warn("{}: the queue is full ({} events): dropped {} events since the last warning; is {} down?",
                    settings.name(), settings.queue(), droppedSinceWarning.getAndSet(0), settings.urls());
        }
    }

    private void warnFailed(String url, Throwable error, int count) {
        long now = System.nanoTime();
        long last = lastFailureWarning.get();
        if (now - last >= WARN_EVERY_NANOS && lastFailureWarning.compareAndSet(last, now)) {
            log.warn("{}: a batch of {} to {} failed ({}); retrying, {} events queued", settings.name(), count, url,
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

    /** Stops retrying, and says how many events were not delivered. */
    @Override
    public void close() {
        closed = true;
        int lost = queued.get();
        if (lost > 0) {
            log.warn("{}: {} events still queued were not delivered before the node stopped", settings.name(), lost);
        }
    }
}
