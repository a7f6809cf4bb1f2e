package io.pushgate.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The cluster's presence as every node keeps it: changes arrive again and out of date, and must converge. */
class RosterTests {

    final Roster roster = new Roster();

    @Test
    void aChangeSeenTwiceCountsOnce() {
        roster.connected("a-1", "alice", "a", Set.of("room"));
        roster.connected("a-1", "alice", "a", Set.of("room"));
        roster.joined("a-1", "room");

        assertThat(roster.sessionsOf("alice")).containsExactly("a-1");
        assertThat(roster.memberCount("room")).isEqualTo(1);
        assertThat(roster.sessionCount()).isEqualTo(1);
    }

    @Test
    void changesForASessionThatIsGoneAreIgnoredAndEmptyEntriesDisappear() {
        roster.connected("a-1", "alice", "a", Set.of("room"));
        roster.disconnected("a-1");
        roster.joined("a-1", "other");
        roster.disconnected("a-1");

        assertThat(roster.uidCount()).isZero();
        assertThat(roster.groupCount()).isZero();
        assertThat(roster.onlineUids(null, 10)).isEmpty();
    }

    @Test
    void aNodeGoneTakesOnlyItsOwnSessions() {
        roster.connected("a-1", "alice", "a", Set.of("room"));
        roster.connected("b-1", "alice", "b", Set.of("room"));
        roster.connected("b-2", "bob", "b", Set.of());

        roster.nodeGone("b");

        assertThat(roster.sessionsOf("alice")).containsExactly("a-1");
        assertThat(roster.isOnline("bob")).isFalse();
        assertThat(roster.members("room")).containsOnlyKeys("a-1");
        assertThat(roster.nodes()).containsExactly("a");
    }

    @Test
    void reachCountsEachSessionOnceAndLeavesOutExcludedOnes() {
        roster.connected("a-1", "alice", "a", Set.of("room"));
        roster.connected("b-1", "alice", "b", Set.of());
        roster.connected("b-2", "bob", "b", Set.of("room"));

        Target overlapping = new Target(List.of("alice"), List.of("room"), List.of("b-2"), false, Set.of());
        assertThat(roster.reach(overlapping)).isEqualTo(3);
        Target excluding = new Target(List.of("alice"), List.of(), List.of(), false, Set.of("b-1"));
        assertThat(roster.reach(excluding)).isEqualTo(1);
        assertThat(roster.reach(new Target(List.of(), List.of(), List.of(), true, Set.of("a-1", "nobody")))).isEqualTo(2);
    }

    @Test
    void pagesAreInNameOrderAcrossNodes() {
        roster.connected("b-1", "carol", "b", Set.of("z"));
        roster.connected("a-1", "alice", "a", Set.of("y"));
        roster.connected("c-1", "bob", "c", Set.of());

        assertThat(roster.onlineUids(null, 2)).containsExactly("alice", "bob");
        assertThat(roster.onlineUids("bob", 2)).containsExactly("carol");
        assertThat(roster.groupNames(null, 10)).containsExactly("y", "z");
    }

    @Test
    void aWatcherHearsEachGroupChangeOnceWithTheSessionDataThenAndTheMembersBeforeIt() {
        roster.connected("a-1", "alice", "a", Set.of("room"), "{\"k\":1}");
        List<String> heard = new java.util.ArrayList<>();
        roster.watch((group, clientId, in, data) -> heard.add(group + " " + clientId + " " + in + " " + data));

        roster.connected("b-1", "bob", "b", Set.of("room"));
        roster.joined("b-1", "room"); // again: nothing changes
        roster.dataChanged("a-1", "{\"k\":2}");
        roster.dataChanged("a-1", "{\"k\":2}"); // the same data: nothing changes
        roster.left("b-1", "room");
        roster.nodeGone("a");

        assertThat(heard).containsExactly("room a-1 true {\"k\":1}", "room b-1 true null", "room a-1 true {\"k\":2}",
                "room b-1 false null", "room a-1 false {\"k\":2}");
    }

    @Test
    void aRestateTellsWatchersOnlyWhatChangedDuringTheGap() {
        roster.connected("a-1", "alice", "a", Set.of("room", "lobby"), "{\"k\":1}");
        roster.connected("a-2", "ann", "a", Set.of("room"));
        roster.connected("a-3", "amy", "a", Set.of("room"));
        roster.connected("b-1", "bob", "b", Set.of("room"));
        List<String> heard = new java.util.ArrayList<>();
        roster.watch((group, clientId, in, data) -> heard.add(group + " " + clientId + " " + in + " " + data));
        heard.clear();

        roster.restating("a", 3);
        roster.restated("a-1", "alice", "a", Set.of("room", "news"), "{\"k\":1}"); // left lobby, joined news
        assertThat(roster.memberCount("room")).as("unconfirmed sessions stay members until the restate ends")
                .isEqualTo(4);
        roster.restated("a-2", "ann", "a", Set.of("room"), null); // unchanged
        roster.restated("a-4", "anna", "a", Set.of("room"), null); // new; a-3 closed during the gap

        assertThat(heard).containsExactly("lobby a-1 false {\"k\":1}", "news a-1 true {\"k\":1}",
                "room a-4 true null", "room a-3 false null");
        assertThat(roster.members("room")).containsOnlyKeys("a-1", "a-2", "a-4", "b-1");
        assertThat(roster.isOnline("amy")).isFalse();
    }

    @Test
    void aRestateThatStartsAgainWaitsForTheNewCountAndANodeGoneEndsIt() {
        roster.connected("a-1", "alice", "a", Set.of("room"));
        roster.connected("a-2", "ann", "a", Set.of("room"));

        roster.restating("a", 2);
        roster.restated("a-1", "alice", "a", Set.of("room"), null);
        roster.restating("a", 1); // Redis failed half-way: the node states itself again
        assertThat(roster.sessionCount()).isEqualTo(2);
        roster.restated("a-2", "ann", "a", Set.of("room"), null);
        assertThat(roster.sessionsOf("alice")).as("not in the restate that completed").isEmpty();
        assertThat(roster.sessionsOf("ann")).containsExactly("a-2");

        roster.restating("a", 5);
        roster.nodeGone("a");
        roster.connected("a-9", "amy", "a", Set.of());
        assertThat(roster.sessionsOf("amy")).as("a node gone ends its restate: nothing waits for it")
                .containsExactly("a-9");
        roster.restating("a", 0);
        assertThat(roster.sessionCount()).as("a restate of no sessions ends at once").isZero();
    }
}
