package io.pushgate.transport.pusher;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PusherPresenceTests {

    private final PusherPresence presence = new PusherPresence();
    private final PusherPresence.Member ann = new PusherPresence.Member("1", "{\"name\":\"Ann\"}");
    private final PusherPresence.Member bob = new PusherPresence.Member("2", null);

    @Test
    void aUserIsAddedWithItsFirstConnectionAndRemovedWithItsLast() {
        assertThat(presence.add("presence-a", "n-1", ann)).isTrue();
        assertThat(presence.add("presence-a", "n-2", ann)).isFalse();
        assertThat(presence.add("presence-a", "n-3", bob)).isTrue();
        assertThat(presence.users("presence-a")).containsOnlyKeys("1", "2").containsEntry("1", "{\"name\":\"Ann\"}")
                .containsEntry("2", null);
        assertThat(presence.users("presence-a").keySet()).containsExactly("1", "2");

        assertThat(presence.remove("presence-a", "n-1")).isNull();
        assertThat(presence.remove("presence-a", "n-2")).isEqualTo(ann);
        assertThat(presence.users("presence-a")).containsOnlyKeys("2");
    }

    @Test
    void subscribingAgainChangesNothing() {
        presence.add("presence-a", "n-1", ann);
        assertThat(presence.add("presence-a", "n-1", ann)).isFalse();
        assertThat(presence.remove("presence-a", "n-1")).isEqualTo(ann);
        assertThat(presence.remove("presence-a", "n-1")).isNull();
        assertThat(presence.channels()).isEmpty();
    }

    @Test
    void aUsersConnectionsAreFoundInEveryChannel() {
        presence.add("presence-a", "n-1", ann);
        presence.add("presence-b", "n-2", ann);
        presence.add("presence-b", "n-3", bob);
        assertThat(presence.clientsOf("1")).containsExactly("n-1", "n-2");
        assertThat(presence.channels()).containsExactly("presence-a", "presence-b");
    }
}
