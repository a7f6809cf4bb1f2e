package io.pushgate.config;

import java.time.Duration;

import io.pushgate.core.PushNode;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * On SIGTERM (context close), before the web server stops: refuse new sessions, let each session
 * write what it has queued and close with 1001 so clients reconnect elsewhere, and wait for them up
 * to the grace period. Runs in the highest lifecycle phase, so it stops before the web server's
 * graceful shutdown, which would otherwise wait on the open WebSockets. A context that is stopped and
 * started again (Spring's test context cache pauses idle contexts this way) accepts sessions again.
 */
final class GracefulDrain implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GracefulDrain.class);

    private final PushNode node;
    private final Duration grace;
    private volatile boolean running;

    GracefulDrain(PushNode node, Duration grace) {
        this.node = node;
        this.grace = grace;
    }

    @Override
    public void start() {
        node.reopen(); // a stop() that drained the node may be followed by a start(), as when a context restarts
        running = true;
    }

    @Override
    public void stop() {
        int sessions = node.sessionCount();
        long started = System.nanoTime();
        boolean clean = node.drain(grace);
        log.info("Drained {} session(s) in {} ms{}", sessions, (System.nanoTime() - started) / 1_000_000,
                clean ? "" : " (grace period ran out; the rest were cut)");
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
