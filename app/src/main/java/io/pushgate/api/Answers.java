package io.pushgate.api;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.jspecify.annotations.Nullable;

/** The JSON bodies the API answers with; each is a schema in {@code api-spec/openapi.yaml}. */
final class Answers {

    private Answers() {
    }

    /** {@code duplicate} only when true: a repeat of an idempotency key, answered with the first answer. */
    record Published(String id, int sessions, List<String> online, List<String> offline,
                     @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Boolean duplicate) {
    }

    /** {@code bannedUntil} only while the uid is banned (epoch ms). */
    record UidPresence(String uid, boolean online, int sessions, List<String> clientIds,
                       @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long bannedUntil) {
    }

    record UidPage(int count, List<String> uids, @Nullable String next) {
    }

    record GroupPresence(String group, List<String> uids, int sessions, List<String> clientIds) {
    }

    record GroupSummary(String group, int sessions) {
    }

    record GroupPage(int count, List<GroupSummary> groups, @Nullable String next) {
    }

    record UidMembership(String group, String uid, int sessions) {
    }

    record ClientMembership(String group, String clientId, boolean member) {
    }

    record Kicked(int closed) {
    }

    /**
     * {@code startedAt}, {@code uptimeSeconds} and the heap only when the node reported them (a node of an
     * older build in a cluster does not; nor does the total).
     */
    record NodeCounters(String node, int sessions, Map<String, Integer> sessionsByTransport, int uids, int groups,
                        long messagesIn, long messagesOut, double messagesInPerSecond, double messagesOutPerSecond,
                        long dropped, long brokerLagMillis, long gapResets,
                        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long startedAt,
                        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long uptimeSeconds,
                        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long heapUsedBytes,
                        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long heapMaxBytes,
                        boolean accepting, String broker, boolean healthy,
                        long brokerEntriesRead, long brokerMessagesRead) {
    }

    record Stats(List<NodeCounters> nodes, NodeCounters total) {
    }
}
