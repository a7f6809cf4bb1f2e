package io.pushgate.transport.ws;

import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.channel.EventLoop;

import reactor.util.concurrent.Queues;

/**
 * The drains one event loop runs together after {@code pushgate.ws.write-delay}: one timer per loop
 * and window, not one per session, so delaying writes costs a queue offer per session. A drain waits
 * at most the delay: it runs when the window that was open when it was added closes.
 */
final class DelayedDrains implements Runnable {

    /** One {@link DelayedDrains} per event loop, for the application's lifetime. */
    static final class Registry {

        private final long delayNanos;
        private final Map<EventLoop, DelayedDrains> byLoop = new ConcurrentHashMap<>();

        Registry(Duration delay) {
            this.delayNanos = delay.toNanos();
        }

        boolean enabled() {
            return delayNanos > 0;
        }

        DelayedDrains of(EventLoop loop) {
            return byLoop.computeIfAbsent(loop, l -> new DelayedDrains(l, delayNanos));
        }
    }

    private final EventLoop loop;
    private final long delayNanos;
    private final Queue<Runnable> due = Queues.<Runnable>unboundedMultiproducer().get();
    private final AtomicBoolean armed = new AtomicBoolean();

    private DelayedDrains(EventLoop loop, long delayNanos) {
        this.loop = loop;
        this.delayNanos = delayNanos;
    }

    /** Runs {@code drain} on the loop when the current window closes. */
    void add(Runnable drain) {
        due.offer(drain);
        if (armed.compareAndSet(false, true)) {
            loop.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void run() {
        armed.set(false); // drains added from here on open the next window, or run in this one
        Runnable drain;
        while ((drain = due.poll()) != null) {
            drain.run();
        }
    }
}
