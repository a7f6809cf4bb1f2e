package io.pushgate.core;

/**
 * Uids refused a session until a time, on this node. Bounded: past {@code maxBans} the ban given longest
 * ago goes first (a ban given again moves to the end). An expired ban is forgotten when next looked at.
 */
final class Bans {

    static final int MAX_BANS = 100_000;

    private final OldestFirstMap<String, Long> until;

    Bans(int maxBans) {
        this.until = new OldestFirstMap<>(maxBans);
    }

    synchronized void ban(String uid, long untilMillis) {
        Long before = until.remove(uid);
        until.put(uid, before == null ? untilMillis : Math.max(before, untilMillis)); // removed first: it moves to the end
    }

    /** @return when the uid's ban ends (epoch ms), or 0 when it is not banned at {@code now} */
    synchronized long bannedUntil(String uid, long now) {
        Long end = until.get(uid);
        if (end == null) {
            return 0;
        }
        if (end <= now) {
            until.remove(uid);
            return 0;
        }
        return end;
    }
}
