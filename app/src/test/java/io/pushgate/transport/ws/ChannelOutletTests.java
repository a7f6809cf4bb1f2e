package io.pushgate.transport.ws;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.pushgate.core.Frame;
import io.pushgate.core.Outlet.Offer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a WebSocket client receives from {@link ChannelOutlet}, decoded as a client decodes it: a session
 * whose frames waited for the same drain gets them as one write and one flush, each still its own
 * message, in order, once; a ping stays a ping; a frame too large to copy keeps its place in the order.
 */
class ChannelOutletTests {

    /** The server side of a connection: Netty's frame encoder, and a count of the outlet's writes and flushes. */
    static final class Server extends EmbeddedChannel {
        int writes;
        int flushes;

        Server() {
            super();
            // the count sits between the outlet and the encoder: it sees what the outlet hands to the channel
            pipeline().addLast(new WebSocket13FrameEncoder(false), new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    writes++;
                    ctx.write(msg, promise);
                }

                @Override
                public void flush(ChannelHandlerContext ctx) {
                    flushes++;
                    ctx.flush();
                }
            });
        }

        /** What the client decodes from every byte written so far. */
        List<String> clientReceived() {
            EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
            Object out;
            while ((out = readOutbound()) != null) {
                client.writeInbound((ByteBuf) out);
            }
            List<String> messages = new ArrayList<>();
            Object in;
            while ((in = client.readInbound()) != null) {
                WebSocketFrame frame = (WebSocketFrame) in;
                assertThat(frame.isFinalFragment()).isTrue();
                messages.add(frame instanceof PingWebSocketFrame ? "PING" : ((TextWebSocketFrame) frame).text());
                ReferenceCountUtil.release(frame);
            }
            client.finishAndReleaseAll();
            return messages;
        }
    }

    private static Frame frame(String text) {
        return Frame.control(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void framesThatWaitedForOneDrainLeaveAsOneWriteAndOneFlushEachItsOwnMessage() {
        Server server = new Server();
        ChannelOutlet outlet = new ChannelOutlet(server, 100, null, () -> { });
        String medium = "m".repeat(300); // a 16-bit length
        for (String text : List.of("b1", medium, "b3")) {
            assertThat(outlet.offer(frame(text))).isEqualTo(Offer.QUEUED);
        }
        assertThat(outlet.offer(ChannelOutlet.CONTROL_PING)).isEqualTo(Offer.QUEUED);

        server.runPendingTasks();

        assertThat(server.writes).as("one buffer through the pipeline for the whole drain").isEqualTo(1);
        assertThat(server.flushes).isEqualTo(1);
        assertThat(server.clientReceived()).containsExactly("b1", medium, "b3", "PING");

        outlet.offer(frame("b4"));
        server.runPendingTasks();
        assertThat(server.clientReceived()).containsExactly("b4");
        assertThat(server.flushes).isEqualTo(2);
    }

    @Test
    void aFrameTooLargeToGatherKeepsItsPlaceInTheOrder() {
        Server server = new Server();
        ChannelOutlet outlet = new ChannelOutlet(server, 100, null, () -> { });
        String large = "L".repeat(ChannelOutlet.GATHER_LIMIT + 1);
        for (String text : List.of("b1", "b2", large, "b4")) {
            outlet.offer(frame(text));
        }

        server.runPendingTasks();

        assertThat(server.clientReceived()).containsExactly("b1", "b2", large, "b4");
        assertThat(server.writes).as("the gathered frames, the large one, the frame after it").isEqualTo(3);
        assertThat(server.flushes).isEqualTo(1);
    }
}
