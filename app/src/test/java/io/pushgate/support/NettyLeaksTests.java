package io.pushgate.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The leak check itself: a buffer dropped without release is reported, with where it was allocated. */
class NettyLeaksTests {

    @Test
    void aBufferCollectedWithoutReleaseIsReportedWithItsAllocationSite() {
        NettyLeaks.collect(); // start from nothing pending
        leakOne();
        List<String> found = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            found.addAll(NettyLeaks.collect()); // taken here, so this class's own check sees none
            return !found.isEmpty();
        });
        assertThat(String.join("\n", found)).contains("LEAK: ByteBuf").contains("leakOne");
    }

    private static void leakOne() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.buffer(16);
        leaked.writeInt(42); // dropped here without release()
    }
}
