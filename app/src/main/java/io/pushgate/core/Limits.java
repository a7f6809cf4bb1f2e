package io.pushgate.core;

/**
 * Per-session, per-uid and node-wide limits the core enforces.
 *
 * @param queueCapacity     frames a session may have waiting before it is closed as slow (4408)
 * @param sessionsPerUid    sessions one uid may hold on this node; one more is refused (4429)
 * @param groupsPerSession  groups one session may be in; joins past it are refused
 * @param groupsPerUid      groups the backend may put one uid in; a membership past it is refused
 *                          ({@link MembershipLimitException})
 * @param membershipUids    uids holding backend memberships on this node, connected or not; a membership
 *                          for one more uid is refused, so memberships of uids that never connect cannot
 *                          grow without bound
 */
public record Limits(int queueCapacity, int sessionsPerUid, int groupsPerSession, int groupsPerUid, int membershipUids) {

    public static final Limits DEFAULTS = new Limits(1024, 100, 100, 1000, 100_000);

    public Limits {
        if (queueCapacity < 1 || sessionsPerUid < 1 || groupsPerSession < 1 || groupsPerUid < 1 || membershipUids < 1) {
            throw new IllegalArgumentException("limits must be positive: " + queueCapacity + ", "
                    + sessionsPerUid + ", " + groupsPerSession + ", " + groupsPerUid + ", " + membershipUids);
        }
    }

    /** The given session limits with the default membership limits. */
    public Limits(int queueCapacity, int sessionsPerUid, int groupsPerSession) {
        this(queueCapacity, sessionsPerUid, groupsPerSession, DEFAULTS_GROUPS_PER_UID, DEFAULTS_MEMBERSHIP_UIDS);
    }

    private static final int DEFAULTS_GROUPS_PER_UID = 1000;
    private static final int DEFAULTS_MEMBERSHIP_UIDS = 100_000;
}
