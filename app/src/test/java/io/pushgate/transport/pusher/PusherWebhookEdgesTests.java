package io.pushgate.transport.pusher;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.pushgate.core.Roster;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which webhooks a group change makes, derived as every node derives them (the roster here plays the cluster's
 * log): a member whose session data changes under it, and only what this node is the teller of.
 */
class PusherWebhookEdgesTests {

    private final PusherPresence presence = new PusherPresence(JsonMapper.builder().build());
    private final Roster roster = new Roster();
    private final List<String> sent = new ArrayList<>();

    PusherWebhookEdgesTests() {
        roster.watch(new PusherWebhooks(presence, Set.copyOf(PusherWebhooks.NAMES),
                e -> sent.add(e.name() + " " + e.channel() + (e.userId() == null ? "" : " " + e.userId()))));
    }

    private void subscribed(String clientId, String channel, String userId) {
        roster.connected(clientId, "pusher-" + clientId, "node", Set.of());
        roster.dataChanged(clientId, presence.withMember(roster.data(clientId), channel, new PusherPresence.Member(userId, null)));
        roster.joined(clientId, channel);
    }

    @Test
    void aMemberTakenOutOfTheSessionDataIsRemovedWhileTheChannelStaysOccupied() {
        subscribed("c1", "presence-room", "ann");
        // the backend's PUT of the session's data without "pusher": the connection stays in the group
        roster.dataChanged("c1", "{\"other\":1}");
        roster.dataChanged("c1", "{\"other\":2}"); // changes no member: tells nothing
        roster.disconnected("c1");

        assertThat(sent).containsExactly("channel_occupied presence-room", "member_added presence-room ann",
                "member_removed presence-room ann", "channel_vacated presence-room");
    }

    @Test
    void aConnectionWhoseUserIdChangesRemovesTheOldUserAndAddsTheNew() {
        subscribed("c1", "presence-room", "ann");
        subscribed("c2", "presence-room", "ann");
        roster.dataChanged("c2", presence.withMember(roster.data("c2"), "presence-room", new PusherPresence.Member("bob", null)));
        roster.dataChanged("c1", presence.withMember(roster.data("c1"), "presence-room", new PusherPresence.Member("bob", null)));

        assertThat(sent).containsExactly("channel_occupied presence-room", "member_added presence-room ann",
                "member_added presence-room bob", "member_removed presence-room ann");
    }

    @Test
    void onlyTheTellerSendsButEveryNodeKeepsCount() {
        PusherWebhooks hooks = new PusherWebhooks(presence, Set.of("channel_occupied", "channel_vacated"),
                e -> sent.add(e.name() + " " + e.channel()));
        hooks.changed("room", "on-another-node", true, null, false);
        hooks.changed("room", "here", true, null, true); // second in: nothing to tell
        hooks.changed("room", "on-another-node", false, null, false);
        hooks.changed("room", "here", false, null, true);

        assertThat(sent).containsExactly("channel_vacated room");
    }
}
