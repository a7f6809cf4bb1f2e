package io.pushgate.transport.sse;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

import io.netty.channel.Channel;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet;
import io.pushgate.core.Session;
import io.pushgate.core.Transport;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One SSE stream as a {@link Transport}. Closing it cuts the live stream: queued events are dropped and
 * a {@code close} event ends the response. A graceful close needs nothing from here: the session's
 * outlet completes after the queue is written, then writes the close event.
 */
final class SseConnection implements Transport {

    private final Sinks.One<Disconnect> closed = Sinks.one();
    private volatile @Nullable Session session;
    private final @Nullable Channel channel;
    private final Function<@Nullable Session, byte[]> closeEvent;
    private final @Nullable Runnable afterEnd;
    private volatile @Nullable SseChannelOutlet outlet;

    /**
     * @param channel    the connection's channel, written to directly; {@code null} to go through the
     *                   response's reactive body instead
     * @param closeEvent the {@code close} event that ends the stream, for the session once attached
     * @param afterEnd   run on the event loop once the close event is written, or {@code null}
     */
    SseConnection(@Nullable Channel channel, Function<@Nullable Session, byte[]> closeEvent, @Nullable Runnable afterEnd) {
        this.channel = channel;
        this.closeEvent = closeEvent;
        this.afterEnd = afterEnd;
    }

    /** Writes events straight to the channel when there is one; see {@link SseChannelOutlet}. */
    @Override
    public @Nullable Outlet outlet(int capacity) {
        if (channel == null) {
            return null;
        }
        SseChannelOutlet own = new SseChannelOutlet(channel, capacity, () -> closeEvent.apply(session), afterEnd);
        outlet = own;
        return own;
    }

    /** The direct outlet, once the session has one. */
    @Nullable SseChannelOutlet channelOutlet() {
        return outlet;
    }

    void attach(Session session) {
        this.session = session;
    }

    /** A node heartbeat tick: a comment line that keeps proxies from idling the stream out, with the cursor. */
    @Override
    public void heartbeat(Frame ping) {
        Session s = session;
        if (s != null) {
            s.send(ping);
        }
    }

    @Override
    public String name() {
        return "sse";
    }

    @Override
    public void close(Disconnect disconnect) {
        SseChannelOutlet own = outlet;
        if (own != null) {
            own.cut();
        }
        closed.tryEmitValue(disconnect);
    }

    /** Signals when the server closes the session. */
    Mono<Disconnect> cut() {
        return closed.asMono();
    }

    /** The key of the SSE form among a frame's derived forms: one constant instance. */
    private static final Function<Frame, byte[]> RENDER = SseConnection::render;

    /** The SSE form of a frame: {@code id:} (messages only), {@code event:}, {@code data:}; built once per frame. */
    static byte[] encode(Frame frame) {
        return frame.derived(RENDER);
    }

    private static byte[] render(Frame frame) {
        if ("ping".equals(frame.event())) {
            // no event for listeners; the id alone moves EventSource's Last-Event-ID forward on a quiet stream
            return ("id: " + frame.id() + "\n: heartbeat\n\n").getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder head = new StringBuilder(64);
        if (frame.id() != null) {
            head.append("id: ").append(frame.id()).append('\n');
        }
        if (frame.event() != null) {
            head.append("event: ").append(frame.event()).append('\n');
        }
        head.append("data: ");
        byte[] prefix = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] json = frame.json();
        byte[] out = new byte[prefix.length + json.length + 2];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(json, 0, out, prefix.length, json.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }
}
