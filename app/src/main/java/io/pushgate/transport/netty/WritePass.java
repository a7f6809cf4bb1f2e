package io.pushgate.transport.netty;

import java.lang.ref.WeakReference;
import java.util.Collections;
import java.util.Map;
import java.util.Queue;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.PlatformDependent;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outlets' drains that one event loop has waiting, run in slices at the lowest priority the loop
 * has: after the tasks already queued and, between slices, after the loop has read its sockets.
 *
 * <p>Why: a broadcast to N sessions makes N drains, each one write and one flush (a system call). Run
 * as N separate tasks, they all ran before the loop next read a socket (Netty runs queued tasks for up
 * to a second before looking at I/O again), so the next publish waited unread until every drain queued
 * before it had run: with 10,000 sessions, 65 ms at the median. Here the loop reads between slices, a
 * broadcast read mid-pass queues its frame behind the earlier ones of every session not yet drained,
 * and that session's drain writes them all with one flush. Coalescing therefore adapts to the load: a loop that
 * keeps up flushes each frame as soon as it has nothing else to do (no fixed delay, unlike
 * {@code pushgate.ws.write-delay}), and a loop that falls behind writes more frames per flush, which
 * makes each frame cheaper exactly when it has to be.
 *
 * <p>Guarantees: a drain added here runs on the loop, once, in the order drains were added (so a
 * session waits at most one pass); what it writes and in which order is the outlet's business (its own
 * queue, per-session order). An outlet is here at most once at a time ({@link DirectOutlet} schedules a
 * drain only when none is pending), so the pass holds at most one entry per session and stays bounded
 * by the sessions of the loop. Nothing blocks: adds are lock-free and the pass never waits.
 */
public final class WritePass implements Runnable {

    /**
     * Drains per slice before the loop reads its sockets again: about half a millisecond of writes, so a
     * publish waits at most that long to be read, while the extra non-blocking {@code epoll_wait} per
     * slice stays under 1 % of the pass.
     */
    static final int SLICE = 128;

    private static final Logger log = LoggerFactory.getLogger(WritePass.class);

    /**
     * One pass per loop. Weak both ways: a loop that is gone (tests make many) takes its pass with it,
     * and a pass is held by its outlets and, while armed, by its loop's task queue.
     */
    private static final Map<EventLoop, WeakReference<WritePass>> PASSES = Collections.synchronizedMap(new WeakHashMap<>());

    private static final AtomicIntegerFieldUpdater<WritePass> ARMED =
            AtomicIntegerFieldUpdater.newUpdater(WritePass.class, "armed");

    private final EventLoop loop;
    private final int slice;
    /** Array chunks rather than a node per add: adds are one index increment, a pass reads memory in order. */
    private final Queue<Runnable> pending = PlatformDependent.newMpscQueue();
    /** 1 while a run of this pass is queued or running on the loop; then adds only enqueue. */
    private volatile int armed;

    WritePass(EventLoop loop, int slice) {
        this.loop = loop;
        this.slice = slice;
    }

    /**
     * The pass of the loop whose thread this is: a session made on its own loop (the usual case) finds its
     * pass without the lock that every loop's connects would otherwise share. Held as long as the thread,
     * which is the loop's: Netty clears a loop thread's locals when it ends.
     */
    private static final FastThreadLocal<WritePass> OWN = new FastThreadLocal<>();

    /** The pass of {@code loop}, made on first use. */
    public static WritePass of(EventLoop loop) {
        if (!loop.inEventLoop()) {
            return lookUp(loop);
        }
        WritePass own = OWN.get();
        if (own == null || own.loop != loop) {
            own = lookUp(loop);
            OWN.set(own);
        }
        return own;
    }

    private static WritePass lookUp(EventLoop loop) {
        synchronized (PASSES) {
            WeakReference<WritePass> ref = PASSES.get(loop);
            @Nullable WritePass pass = ref == null ? null : ref.get();
            if (pass == null) {
                pass = new WritePass(loop, SLICE);
                PASSES.put(loop, new WeakReference<>(pass));
            }
            return pass;
        }
    }

    /** Runs {@code drain} on the loop once the drains added before it have run. Any thread. */
    public void add(Runnable drain) {
        pending.offer(drain);
        if (armed == 0 && ARMED.compareAndSet(this, 0, 1)) {
            loop.execute(this); // behind the tasks queued now; wakes the loop when added from another thread
        }
    }

    /** One slice, on the loop. */
    @Override
    public void run() {
        for (int i = 0; i < slice; i++) {
            Runnable drain = pending.poll();
            if (drain == null) {
                armed = 0;
                // an add between the poll and the reset saw the pass armed and did not queue it: take it now
                if (pending.isEmpty() || !ARMED.compareAndSet(this, 0, 1)) {
                    return;
                }
                continue;
            }
            try {
                drain.run();
            } catch (Throwable e) { // as Netty does for a task: one outlet's failure must not stall the others
                log.warn("A write drain failed", e);
            }
        }
        // Scheduled rather than executed: Netty moves due scheduled tasks into its queue only at the start of
        // a turn, after reading the sockets, whereas an executed task would run before them in this turn.
        loop.schedule(this, 0, TimeUnit.NANOSECONDS);
    }
}
