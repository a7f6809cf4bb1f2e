package io.pushgate.core;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Uids refused a session until a time, on this node. Bounded: past {@code maxBans} the ban given longest
 * ago goes first (a ban given again moves to the end). An expired ban is forgotten when next looked at.
 */
final class Bans {

    static final int MAX_BANS = 100_000;

    private final int maxBans;
    private final LinkedHashMap<String, Long> until = new LinkedHashMap<>();

    Bans(int maxBans) {
        this.maxBans = maxBans;
    }

    synchronized void ban(String uid, long untilMillis) {
        Long before = until.remove(uid);
        until.put(uid, before == null ? untilMillis : Math.max(before, untilMillis));
        Iterator<String> oldest = until.keySet().iterator();
        while (until.size() > maxBans) {
            oldest.next();
            oldest.remove();
        }
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
