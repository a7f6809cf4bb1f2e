package io.pushgate.core;

import java.util.List;

/**
 * What a publish reached at the moment it was made.
 *
 * @param id        the publish id (also the message id clients see)
 * @param sessions  sessions the message was queued to, each counted once
 * @param online    uids of the target that had at least one session
 * @param offline   uids of the target that had none
 * @param duplicate the publish repeated an idempotency key seen within the window: nothing was delivered
 *                  now, and the rest is the first publish's answer
 */
public record PublishResult(String id, int sessions, List<String> online, List<String> offline, boolean duplicate) {

    public PublishResult(String id, int sessions, List<String> online, List<String> offline) {
        this(id, sessions, online, offline, false);
    }

    /** The same answer, given again to a repeat. */
    public PublishResult asDuplicate() {
        return new PublishResult(id, sessions, online, offline, true);
    }
}
