package io.pushgate.support;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Makes a Netty leak report a test failure rather than a line in the log that nobody reads.
 *
 * <p>Installed before the first test (a launcher session listener, so before any Netty buffer class is
 * loaded), it hands Netty a leak detector that still logs {@code LEAK:} as usual and also records the
 * report. After each test class, as a Jupiter extension registered for every test, it collects garbage,
 * makes the detector look at what was collected, and fails the class with the reports found. A leak is
 * found when its buffer is collected, so it may be reported after the class that leaked it: the report's
 * records say where the buffer was allocated and last touched.
 */
public final class NettyLeaks implements LauncherSessionListener, AfterAllCallback {

    private static final List<String> reports = new ArrayList<>();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getParent().flatMap(ExtensionContext::getParent).isPresent()) {
            return; // a nested class: its enclosing class checks once at its end
        }
        List<String> found = collect();
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " Netty buffer leak(s) reported during or before this test class "
                    + "(a buffer was collected without being released):\n" + String.join("\n", found));
        }
    }

    /**
     * Collects garbage, lets the detector poll the buffers it has seen collected, and returns (and
     * forgets) every report since the last call.
     */
    public static List<String> collect() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            // the detector checks its queue of collected buffers whenever it tracks a new one
            ByteBuf probe = PooledByteBufAllocator.DEFAULT.buffer(1);
            probe.release();
        }
        synchronized (reports) {
            List<String> found = List.copyOf(reports);
            reports.clear();
            return found;
        }
    }

    private static void record(String report) {
        synchronized (reports) {
            reports.add(report);
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            super.reportTracedLeak(resourceType, records);
            record("LEAK: " + resourceType + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            super.reportUntracedLeak(resourceType);
            record("LEAK: " + resourceType + " (no records: run with -Dio.netty.leakDetection.level=paranoid)");
        }
    }
}
