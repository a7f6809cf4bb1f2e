package io.pushgate.core;

import java.util.List;

/**
 * What a publish reached at the moment it was made.
 *
 * @param id       the publish id (also the message id clients see)
 * @param sessions sessions the message was queued to, each counted once
 * @param online   uids of the target that had at least one session
 * @param offline  uids of the target that had none
 */
public record PublishResult(String id, int sessions, List<String> online, List<String> offline) {
}
