package io.pushgate.support;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;

/**
 * The threads worth reading when a test waited in vain: those blocked on a monitor or lock, and those
 * running or parked inside pushgate's own code. Printed to the test's output, so a CI failure that
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
            if (!isBlocked && !ours) {
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
            for (int i = 0; i < Math.min(FRAMES, stack.length); i++) {
                out.append("    at ").append(stack[i]).append('\n');
            }
        }
        out.append("---- end of thread dump\n");
        System.out.print(out);
        return blocked + " threads blocked on a lock, " + inPushgate + " in pushgate code (dump in the test output)";
    }
}
