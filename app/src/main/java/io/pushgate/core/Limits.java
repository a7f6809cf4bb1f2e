package io.pushgate.core;

/**
 * Per-session and per-uid limits the core enforces.
 *
 * @param queueCapacity    frames a session may have waiting before it is closed as slow (4408)
 * @param sessionsPerUid   sessions one uid may hold on this node; one more is refused (4429)
 * @param groupsPerSession groups one session may be in; joins past it are refused
 */
public record Limits(int queueCapacity, int sessionsPerUid, int groupsPerSession) {

    public static final Limits DEFAULTS = new Limits(1024, 100, 100);

    public Limits {
        if (queueCapacity < 1 || sessionsPerUid < 1 || groupsPerSession < 1) {
            throw new IllegalArgumentException("limits must be positive: " + queueCapacity + ", "
                    + sessionsPerUid + ", " + groupsPerSession);
        }
    }
}
