package io.pushgate.transport.netty;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.AbstractEventExecutor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A task that reaches a sleeping loop without waking it (what a lost wake-up leaves behind) runs at the
 * next tick instead of waiting for I/O, or for the loop's next timer, which may be a connection's idle
 * timeout 30 s away. {@code lazyExecute} queues a task without a wake-up, so it stands in for the lost
 * one; without the tick this test fails (checked by hand).
 */
class EventLoopTicksTests {

    @Test
    void aTaskQueuedWithoutAWakeUpRunsAtTheNextTick() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            EventLoop loop = group.next();
            EventLoopTicks.ensureAll(group);
            EventLoopTicks.ensure(loop); // a second call adds no second tick
            // a connection's idle timeout is such a timer: the loop then sleeps until it, not a second
            loop.schedule(() -> { }, 1, TimeUnit.HOURS);
            long thread = loop.submit(() -> Thread.currentThread().getId()).get();
            await().atMost(Duration.ofSeconds(5)).until(() -> asleep(thread));

            CountDownLatch ran = new CountDownLatch(1);
            ((AbstractEventExecutor) loop).lazyExecute(ran::countDown);

            assertThat(ran.await(20 * EventLoopTicks.TICK_MILLIS, TimeUnit.MILLISECONDS))
                    .as("ran within a few ticks").isTrue();
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    /** Whether the loop's thread waits for I/O (epoll_wait, or a selector for NIO). */
    private static boolean asleep(long threadId) {
        ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(threadId, 3);
        if (info == null || info.getStackTrace().length == 0) {
            return false;
        }
        String top = info.getStackTrace()[0].getMethodName();
        return top.contains("epollWait") || top.contains("wait") || top.contains("select") || top.contains("poll");
    }
}
