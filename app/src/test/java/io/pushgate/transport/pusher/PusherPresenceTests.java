package io.pushgate.transport.pusher;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.pushgate.core.Roster;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Members derived from the roster's changes, as every node derives them: the roster here plays the cluster. */
class PusherPresenceTests {

    private final PusherPresence presence = new PusherPresence(JsonMapper.builder().build());
    private final Roster roster = new Roster();
    private final PusherPresence.Member ann = new PusherPresence.Member("1", "{\"name\":\"Ann\"}");
    private final PusherPresence.Member bob = new PusherPresence.Member("2", null);
    private final List<String> told = new ArrayList<>();

    PusherPresenceTests() {
        roster.watch(presence);
    }

    /** A Pusher connection on {@code node} that subscribed to the channel as {@code member}. */
    private void subscribed(String clientId, String node, String channel, PusherPresence.Member member) {
        if (roster.client(clientId) == null) {
            roster.connected(clientId, "pusher-" + clientId, node, Set.of());
        }
        roster.dataChanged(clientId, presence.withMember(roster.data(clientId), channel, member));
        roster.joined(clientId, channel);
    }

    @Test
    void aUserIsAddedWithItsFirstConnectionAndRemovedWithItsLastOnWhicheverNode() {
        presence.subscribe("presence-a", "watcher", (channel, event, data) -> told.add(event + " " + data));
        subscribed("n-1", "node-a", "presence-a", ann);
        subscribed("n-2", "node-b", "presence-a", ann);
        subscribed("n-3", "node-b", "presence-a", bob);
        assertThat(presence.users("presence-a")).containsOnlyKeys("1", "2").containsEntry("1", "{\"name\":\"Ann\"}")
                .containsEntry("2", null);
        assertThat(presence.users("presence-a").keySet()).containsExactly("1", "2");

        roster.left("n-1", "presence-a");
        roster.nodeGone("node-b");
        assertThat(presence.users("presence-a")).isEmpty();
        assertThat(presence.channels()).isEmpty();
        assertThat(told).containsExactly(
                "pusher_internal:subscription_succeeded {\"presence\":{\"ids\":[],\"hash\":{},\"count\":0}}",
                "pusher_internal:member_added {\"user_id\":\"1\",\"user_info\":{\"name\":\"Ann\"}}",
                "pusher_internal:member_added {\"user_id\":\"2\"}",
                "pusher_internal:member_removed {\"user_id\":\"1\"}",
                "pusher_internal:member_removed {\"user_id\":\"2\"}");
    }

    @Test
    void aSubscriberIsToldTheMembersFirstAndNeverOfItself() {
        subscribed("n-1", "node-a", "presence-a", ann);
        subscribed("n-2", "node-a", "presence-a", bob);
        presence.subscribe("presence-a", "n-2", (channel, event, data) -> told.add(event + " " + data));
        subscribed("n-3", "node-a", "presence-a", bob); // bob is there already: nobody is told
        presence.unsubscribe("presence-a", "n-2");
        roster.disconnected("n-2");
        roster.disconnected("n-3");
        assertThat(told).containsExactly("pusher_internal:subscription_succeeded {\"presence\":{\"ids\":[\"1\",\"2\"],"
                + "\"hash\":{\"1\":{\"name\":\"Ann\"},\"2\":null},\"count\":2}}");
    }

    @Test
    void subscribingAgainAsTheSameUserTellsNobody() {
        subscribed("n-1", "node-a", "presence-a", ann);
        presence.subscribe("presence-a", "watcher", (channel, event, data) -> told.add(event));
        subscribed("n-1", "node-a", "presence-a", new PusherPresence.Member("1", "{\"name\":\"Annie\"}"));
        assertThat(presence.users("presence-a")).containsEntry("1", "{\"name\":\"Annie\"}");
        assertThat(told).containsExactly("pusher_internal:subscription_succeeded");
    }

    @Test
    void membersThereBeforeTheWatchAreKnownAndOtherGroupsAreNot() {
        Roster earlier = new Roster();
        earlier.connected("n-1", "u", "node-a", Set.of("presence-a", "private-b"),
                presence.withMember(presence.withMember(null, "presence-a", ann), "private-b", bob));
        earlier.watch(presence);
        assertThat(presence.channels()).containsExactly("presence-a");
        assertThat(presence.clientsOf("1")).containsExactly("n-1");
    }

    @Test
    void aUsersConnectionsAreFoundInEveryChannel() {
        subscribed("n-1", "node-a", "presence-a", ann);
        subscribed("n-2", "node-b", "presence-b", ann);
        subscribed("n-3", "node-b", "presence-b", bob);
        assertThat(presence.clientsOf("1")).containsExactly("n-1", "n-2");
        assertThat(presence.channels()).containsExactly("presence-a", "presence-b");
    }

    @Test
    void theMemberIsKeptBesideOtherSessionData() {
        String data = presence.withMember("{\"plan\":\"gold\"}", "presence-a", ann);
        assertThat(data).isEqualTo("{\"plan\":\"gold\",\"pusher\":{\"presence-a\":{\"user_id\":\"1\",\"user_info\":{\"name\":\"Ann\"}}}}");
        assertThat(presence.withMember(data, "presence-a", null)).isEqualTo("{\"plan\":\"gold\"}");
        assertThat(presence.withMember(presence.withMember(null, "presence-a", bob), "presence-a", null)).isNull();
    }
}
