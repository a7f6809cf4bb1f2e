package io.pushgate.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.test.context.TestPropertySource;

/**
 * Short SSE and long-poll timers, so tests see heartbeats, poll timeouts and poller expiry in a second
 * or two, and a small poll batch, so a few dozen messages span several answers. Every class with this
 * annotation (and no other settings) shares one server.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@TestPropertySource(properties = {
        "pushgate.sse.heartbeat=" + ShortTimers.SSE_HEARTBEAT_MS + "ms",
        "pushgate.poll.hold=" + ShortTimers.POLL_HOLD_MS + "ms",
        "pushgate.poll.batch=" + ShortTimers.POLL_BATCH,
        "pushgate.poll.grace=" + ShortTimers.POLL_GRACE_MS + "ms"
})
public @interface ShortTimers {

    long SSE_HEARTBEAT_MS = 300;
    long POLL_HOLD_MS = 1000;
    int POLL_BATCH = 10;
    long POLL_GRACE_MS = 2000;
}
