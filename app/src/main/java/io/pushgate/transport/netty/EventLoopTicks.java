package io.pushgate.transport.netty;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

/**
 * A no-op task every {@value #TICK_MILLIS} ms on each event loop that serves pushgate's connections,
 * so that no loop sleeps in {@code epoll_wait} for longer than that.
 *
 * <p>Why: work handed to a loop from another thread (an answer completed on the Redis client's thread,
 * a connection accepted by the boss loop) relies on waking the loop. On these machines a request was
 * seen, rarely, to stay unanswered until the client gave up 10 s later, with no thread blocked and
 * nothing logged. One explanation that fits is a task queued on an idle loop whose wake-up was lost,
 * which then waits for the loop's next I/O event or timer (the cause is not confirmed). With a tick,
 * such a task waits at most one tick. A busy loop wakes far more often anyway; an idle one pays ten
 * wake-ups a second.
 */
public final class EventLoopTicks {

    static final long TICK_MILLIS = 100;

    private static final Set<EventLoop> TICKING = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    private EventLoopTicks() {
    }

    /** Starts the tick on every loop of {@code group} that has none. */
    public static void ensureAll(EventLoopGroup group) {
        for (EventExecutor executor : group) {
            if (executor instanceof EventLoop loop) {
                ensure(loop);
            }
        }
    }

    /** Starts the tick on {@code loop} unless it already has one. */
    public static void ensure(EventLoop loop) {
        if (TICKING.add(loop)) {
            loop.scheduleAtFixedRate(() -> { }, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
