package io.pushgate.transport.ws;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pushgate.core.Frame;
import io.pushgate.transport.netty.DirectOutlet;

import org.jspecify.annotations.Nullable;

/**
 * A WebSocket session's outlet: frames go straight to the Netty channel as text frames (see
 * {@link DirectOutlet}: a session that is behind gets the frames of several publishes with one flush),
 * optionally held up to {@code pushgate.ws.write-delay} so that several share one flush even when the
 * loop keeps up.
 */
final class ChannelOutlet extends DirectOutlet {

    /** Offered after a ping text frame; written as a WebSocket ping control frame. */
    static final Frame CONTROL_PING = Frame.control(new byte[0]);

    private final @Nullable DelayedDrains delayed;
    private final Runnable drainedAll;

    /**
     * @param delayed    where bounded frames wait up to {@code pushgate.ws.write-delay} to be written
     *                   together with one flush; {@code null} drains at the next turn of the loop
     * @param drainedAll run on the event loop once the outlet is complete and has written everything
     */
    ChannelOutlet(Channel channel, int capacity, @Nullable DelayedDrains delayed, Runnable drainedAll) {
        super(channel, capacity);
        this.delayed = delayed;
        this.drainedAll = drainedAll;
    }

    @Override
    protected void onDrained() {
        drainedAll.run();
    }

    @Override
    protected void dispatch(boolean delayable) {
        if (delayable && delayed != null) {
            delayed.add(this);
        } else {
            super.dispatch(delayable);
        }
    }

    @Override
    protected boolean write(Frame frame) {
        if (!channel.isActive()) {
            return false;
        }
        // the void promise: nobody waits on a frame's write, and a promise per write (with the encoder's
        // combiner and a promise per encoded buffer) was a tenth of the fan-out's Java time. A failed write
        // (peer gone) reaches the pipeline's exception handler instead, which ends the connection.
        if (frame == CONTROL_PING) {
            channel.write(new PingWebSocketFrame(), channel.voidPromise());
        } else {
            // the payload bytes are shared by every session (a wrapper, no copy); Netty's frame encoder adds
            // the 2-4 byte header into a pooled direct buffer. Pre-encoding the whole frame once into a
            // shared direct buffer measured slower (5.7 vs 5.0 us per delivery): the read-only wrapper
            // takes Netty's slower write path.
            channel.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(frame.json())), channel.voidPromise());
        }
        return true;
    }
}
