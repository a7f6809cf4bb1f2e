package io.pushgate.transport.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pushgate.core.Frame;
import io.pushgate.transport.netty.DirectOutlet;

import org.jspecify.annotations.Nullable;

/**
 * A WebSocket session's outlet: frames go straight to the Netty channel (see {@link DirectOutlet}: a
 * session that is behind gets the frames of several publishes with one flush), optionally held up to
 * {@code pushgate.ws.write-delay} so that several share one flush even when the loop keeps up.
 *
 * <p>A drain's frames up to {@value #GATHER_LIMIT} bytes are encoded here, header and payload, into one
 * pooled buffer that is handed to the channel once, past Netty's frame encoder (which passes buffers
 * through): one write through the pipeline, one outbound entry and one contiguous buffer for the system
 * call per drain, however many frames it carries, instead of a frame object, an encoder call and two
 * entries (header, payload) per frame. Each is still its own unmasked, final WebSocket message, as the
 * encoder would have written it. A larger frame takes the encoder's path (copying it would cost more
 * than the pipeline), after the frames gathered before it, so the order stays the offer order.
 */
final class ChannelOutlet extends DirectOutlet {

    /** Offered after a ping text frame; written as a WebSocket ping control frame. */
    static final Frame CONTROL_PING = Frame.control(new byte[0]);

    /** Frames up to this size are copied into the drain's one buffer. */
    static final int GATHER_LIMIT = 4096;

    private static final int FIN_TEXT = 0x81;
    private static final int FIN_PING = 0x89;

    private final @Nullable DelayedDrains delayed;
    private final Runnable drainedAll;
    /** The current drain's frames, encoded, not yet given to the channel; only touched on the event loop. */
    private @Nullable ByteBuf gathered;

    /**
     * @param delayed    where bounded frames wait up to {@code pushgate.ws.write-delay} to be written
     *                   together with one flush; {@code null} leaves them to the loop's write pass
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
        if (frame == CONTROL_PING) {
            gather(0).writeByte(FIN_PING).writeByte(0);
            return true;
        }
        byte[] json = frame.json();
        if (json.length > GATHER_LIMIT) {
            writesDone();
            // the void promise: nobody waits on a frame's write, and a promise per write (with the encoder's
            // combiner) was a tenth of the fan-out's Java time. A failed write (peer gone) reaches the
            // pipeline's exception handler instead, which ends the connection. The payload is shared by every
            // session (a wrapper, no copy).
            channel.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(json)), channel.voidPromise());
            return true;
        }
        ByteBuf out = gather(json.length);
        out.writeByte(FIN_TEXT);
        if (json.length < 126) {
            out.writeByte(json.length);
        } else {
            out.writeByte(126).writeShort(json.length); // GATHER_LIMIT < 65536: the 16-bit length always fits
        }
        out.writeBytes(json);
        return true;
    }

    /** The drain's buffer, made on its first frame with room for that frame and as much again. */
    private ByteBuf gather(int payload) {
        ByteBuf out = gathered;
        if (out == null) {
            out = channel.alloc().directBuffer(2 * (payload + 4));
            gathered = out;
        }
        return out;
    }

    @Override
    protected void writesDone() {
        ByteBuf out = gathered;
        if (out != null) {
            gathered = null;
            channel.write(out, channel.voidPromise()); // a closed channel releases it
        }
    }
}
