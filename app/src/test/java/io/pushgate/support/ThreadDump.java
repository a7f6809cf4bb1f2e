package io.pushgate.support;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;

/**
 * The threads worth reading when a test waited in vain: those blocked on a monitor or lock, those
 * running or parked inside pushgate's own code, and where each event loop (Netty's, Reactor Netty's,
 * Lettuce's) stands. Printed to the test's output, so a CI failure that
 * cannot be reproduced at will still says where the server stood.
 */
public final class ThreadDump {

    private static final int FRAMES = 12;

    private ThreadDump() {
    }

    /** Writes the interesting threads to standard output; returns a one-line count of them. */
    public static String print(String why) {
        ThreadInfo[] threads = ManagementFactory.getThreadMXBean().dumpAllThreads(true, true);
        StringBuilder out = new StringBuilder("---- thread dump: ").append(why).append('\n');
        int blocked = 0;
        int inPushgate = 0;
        for (ThreadInfo thread : threads) {
            boolean isBlocked = thread.getThreadState() == Thread.State.BLOCKED || thread.getLockOwnerName() != null;
            boolean ours = false;
            for (StackTraceElement frame : thread.getStackTrace()) {
                ours |= frame.getClassName().startsWith("io.pushgate.") && !frame.getClassName().startsWith("io.pushgate.support.ThreadDump");
            }
            String name = thread.getThreadName().toLowerCase(java.util.Locale.ROOT);
            boolean loop = name.contains("epoll") || name.contains("nio") || name.contains("eventloop")
                    || name.contains("reactor-http") || name.contains("lettuce") || name.contains("test-api");
            if (!isBlocked && !ours && !loop) {
                continue;
            }
            blocked += isBlocked ? 1 : 0;
            inPushgate += ours ? 1 : 0;
            out.append('"').append(thread.getThreadName()).append("\" ").append(thread.getThreadState());
            if (thread.getLockName() != null) {
                out.append(" on ").append(thread.getLockName());
            }
            if (thread.getLockOwnerName() != null) {
                out.append(" owned by \"").append(thread.getLockOwnerName()).append('"');
            }
            out.append('\n');
            StackTraceElement[] stack = thread.getStackTrace();
            int frames = isBlocked || ours ? FRAMES : 3; // an event loop: only where it is (asleep in epoll_wait?)
            for (int i = 0; i < Math.min(frames, stack.length); i++) {
                out.append("    at ").append(stack[i]).append('\n');
            }
        }
        out.append("---- end of thread dump\n");
        System.out.print(out);
        return blocked + " threads blocked on a lock, " + inPushgate + " in pushgate code (dump in the test output)";
    }
}
