package io.pushgate.transport.sse;

import java.time.Duration;

/**
 * @param heartbeat how often a comment line is written to keep proxies from timing the stream out
 * @param retry     the reconnect delay sent once as {@code retry:}
 * @param direct    whether streams are served straight from Netty ({@link DirectSse})
 */
public record SseSettings(Duration heartbeat, Duration retry, boolean direct) {
}
