package io.pushgate.core;

/**
 * A backend membership refused because a cap of {@link Limits} is reached. Nothing was changed: the uid
 * keeps the memberships it had.
 */
public final class MembershipLimitException extends RuntimeException {

    /** Which cap was reached. */
    public enum Kind {
        /** The uid is already in {@link Limits#groupsPerUid()} groups. */
        GROUPS_PER_UID,
        /** {@link Limits#membershipUids()} uids already hold memberships. */
        MEMBERSHIP_UIDS
    }

    private final Kind kind;

    public MembershipLimitException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
