package io.pushgate.compat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.Limits;
import io.pushgate.core.LocalBroker;
import io.pushgate.core.PushNode;
import io.pushgate.core.history.InMemoryHistory;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Workerman Text port's line reader takes any bytes a backend writes, in any chunks: each line
 * within the limit is answered {@code ok} or {@code fail}, a longer one ends the connection (the
 * decoder's {@link TooLongFrameException}), and nothing else is thrown. Every buffer is released.
 */
class WorkermanTextLineProperties {

    private static final int MAX_LINE = 64;

    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    /** The real node and broker of a single server: a line's uid has no session, so valid lines answer {@code fail}. */
    private final WorkermanTextPort port = new WorkermanTextPort(new LocalBroker(new PushNode("t", new Limits(8, 2, 2),
            new JsonFrames(MAPPER), new InMemoryHistory(Duration.ofMinutes(2), 10, Clock.systemUTC()), Clock.systemUTC())),
            MAPPER, "127.0.0.1", 0, "text", MAX_LINE);

    @Property(tries = 1000)
    void anyBytesInAnyChunksGiveOkFailOrAnEnd(@ForAll("chunks") List<byte[]> chunks) {
        EmbeddedChannel channel = new EmbeddedChannel(port.lineDecoder());
        try {
            for (byte[] chunk : chunks) {
                try {
                    channel.writeInbound(Unpooled.wrappedBuffer(chunk));
                } catch (TooLongFrameException tooLong) {
                    return; // the connection ends here; what it already answered stands
                } finally {
                    answerEverything(channel);
                }
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private void answerEverything(EmbeddedChannel channel) {
        ByteBuf line;
        while ((line = channel.readInbound()) != null) {
            String text;
            try {
                assertThat(line.readableBytes()).isLessThanOrEqualTo(MAX_LINE);
                text = line.toString(StandardCharsets.UTF_8);
            } finally {
                line.release();
            }
            assertThat(port.answer(text).block(Duration.ofSeconds(5))).isIn("ok", "fail");
        }
    }

    @Provide
    Arbitrary<List<byte[]>> chunks() {
        Arbitrary<byte[]> chunk = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(100),
                Arbitraries.of("\n", "\r\n", "{\"uid\":\"u1\",\"n\":1}\n", "{\"uid\":", "\"u 2\"}\n", "[1]\n",
                        "{\"uid\":{}}\n", "{\"uid\":null}\n", "\u00e9\n", "{\"uid\":\"" + "x".repeat(80) + "\"}\n")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8)));
        return chunk.list().ofMaxSize(12);
    }
}
