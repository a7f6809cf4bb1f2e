package io.pushgate.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pushgate.core.history.InMemoryHistory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each kind of cluster log entry does to a real node with real sessions, applied the way a
 * cluster broker applies them: through {@link BrokerRole#apply}.
 */
class ClusterLogApplierTests {

    static final String SELF = "n1";
    static final String OTHER = "n2";

    final MessageEncoder encoder = new MessageEncoder() {
        @Override
        public Frame encode(Message message) {
            String json = message.to().kind() + ":" + message.to().name() + ":" + message.dataJson();
            return new Frame(json.getBytes(StandardCharsets.UTF_8), message.id(), message.event());
        }

        @Override
        public Frame reset(String cursor) {
            return Frame.control("reset".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Frame ping(String cursor) {
            return Frame.control("ping".getBytes(StandardCharsets.UTF_8));
        }
    };
    final PushNode node = new PushNode(SELF, new Limits(16, 3, 2), encoder,
            new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC());
    final BrokerRole role = node;

    ClusterLogApplierTests() {
        node.joinCluster(SessionEvents.NONE); // applied as a node of a cluster: publishes come from the log
    }

    @AfterEach
    void close() {
        node.close();
    }

    /** A session whose frames (after its welcome) are collected as {@code KIND:name:data} texts. */
    record Client(Session session, RecordingTransport transport, List<String> frames) {
    }

    Client connect(String uid, String... groups) {
        return connect(uid, null, groups);
    }

    Client connect(String uid, Cursor resumeFrom, String... groups) {
        RecordingTransport transport = new RecordingTransport();
        ClientClaims claims = new ClientClaims(uid, Set.of(groups), Set.of(), Instant.now().plusSeconds(60));
        Session session = node.connect(claims, transport, (s, cursor) -> Frame.control("welcome".getBytes(StandardCharsets.UTF_8)),
                resumeFrom);
        assertThat(session).isNotNull();
        List<String> frames = new CopyOnWriteArrayList<>();
        session.frames().map(f -> new String(f.json(), StandardCharsets.UTF_8))
                .filter(text -> !text.equals("welcome"))
                .subscribe(frames::add);
        return new Client(session, transport, frames);
    }

    static ClusterEntry.Message message(long seq, Target target, String data) {
        return new ClusterEntry.Message(seq, System.currentTimeMillis(), new Publication(target, "e", data, 0), List.of());
    }

    static ClusterEntry.SessionState remote(String clientId, String uid, String... groups) {
        return new ClusterEntry.SessionState(clientId, uid, Set.of(groups));
    }

    // ---- messages -----------------------------------------------------------------------------------------

    @Test
    void aMessageIsDeliveredOnceAndLandsInHistory() {
        Client a = connect("a");
        ClusterEntry.Message first = message(1, Target.uid("a"), "1");

        role.apply(first);
        role.apply(first); // a broker replaying after a reconnect

        assertThat(a.frames()).containsExactly("UID:a:1");
        Client back = connect("a", new Cursor(node.epoch(), 0, System.currentTimeMillis()));
        assertThat(back.frames()).as("replayed from history").containsExactly("UID:a:1");
        assertThat(node.currentCursor().seq()).isEqualTo(1);
    }

    @Test
    void aLiveMessageSaysHowLateItCameAndABackfilledOneDoesNot() {
        long old = System.currentTimeMillis() - 60_000;
        role.applyBackfilled(new ClusterEntry.Message(1, old, new Publication(Target.uid("a"), "e", "1", 0), List.of()));
        assertThat(node.stats().brokerLagMillis()).isZero();
        assertThat(node.currentCursor().seq()).as("in history all the same").isEqualTo(1);

        role.apply(new ClusterEntry.Message(2, old, new Publication(Target.uid("a"), "e", "2", 0), List.of()));
        assertThat(node.stats().brokerLagMillis()).isGreaterThanOrEqualTo(60_000);
    }

    @Test
    void aMessageIsHeldForTheUidsItNamesAndHeldDeliveredElsewhereDropsTheCopies() {
        Publication withTtl = new Publication(Target.uid("away"), "e", "held", 60);
        role.apply(new ClusterEntry.Message(1, System.currentTimeMillis(), withTtl, List.of("away")));
        role.apply(new ClusterEntry.Message(2, System.currentTimeMillis(), new Publication(Target.uid("gone"), "e", "x", 60),
                List.of("gone")));

        role.apply(new ClusterEntry.HeldDelivered(SELF, "away", 1)); // its own: it dropped them when it delivered
        role.apply(new ClusterEntry.HeldDelivered(OTHER, "gone", 2));

        assertThat(node.takeOffline("away")).hasSize(1);
        assertThat(node.takeOffline("gone")).isEmpty();
    }

    @Test
    void backfillHoldsMessagesAsTheyWereAndDropsTheOnesDeliveredElsewhere() {
        long ts = System.currentTimeMillis();
        role.applyBackfilled(new ClusterEntry.Message(1, ts, new Publication(Target.uid("away"), "e", "1", 60), List.of("away")));
        role.applyBackfilled(new ClusterEntry.Message(2, ts, new Publication(Target.uid("gone"), "e", "2", 60), List.of("gone")));

        role.applyBackfilled(new ClusterEntry.HeldDelivered(OTHER, "gone", 2));

        assertThat(node.takeOffline("away")).hasSize(1);
        assertThat(node.takeOffline("gone")).isEmpty();
    }

    @Test
    void backfillTakesHistoryOnlyNotPresenceNorMemberships() {
        Client a = connect("a");
        role.applyBackfilled(new ClusterEntry.Connected(OTHER, remote("n2-1", "b")));
        role.applyBackfilled(new ClusterEntry.UidJoined(OTHER, "a", "room", Set.of("room")));
        role.applyBackfilled(new ClusterEntry.UidKicked(OTHER, "a"));

        assertThat(role.isOnline("b")).isFalse();
        assertThat(a.session().groups()).isEmpty();
        assertThat(a.session().isClosed()).isFalse();
    }

    // ---- presence of other nodes ---------------------------------------------------------------------

    @Test
    void anotherNodesSessionsComeAndGoInPresenceAndThisNodesOwnAreNotTakenTwice() {
        role.apply(new ClusterEntry.Connected(OTHER, remote("n2-1", "b", "room")));
        role.apply(new ClusterEntry.Connected(SELF, remote("n1-ghost", "ghost")));

        assertThat(role.isOnline("b")).isTrue();
        assertThat(role.clusterSession("n2-1")).isEqualTo(new Roster.Member("n2-1", "b", OTHER, Set.of("room")));
        assertThat(role.isOnline("ghost")).as("this node's own sessions are known from its hub").isFalse();

        role.apply(new ClusterEntry.Joined(OTHER, "lobby", remote("n2-1", "b", "room", "lobby")));
        role.apply(new ClusterEntry.Left(OTHER, "room", remote("n2-1", "b", "lobby")));
        assertThat(role.clusterSession("n2-1").groups()).containsExactly("lobby");
        assertThat(role.reach(Target.group("lobby"))).isEqualTo(1);

        role.apply(new ClusterEntry.Disconnected(OTHER, "n2-1"));
        assertThat(role.isOnline("b")).isFalse();
        assertThat(role.clusterSession("n2-1")).isNull();
    }

    @Test
    void aNodeGoneRemovesThatNodesPresenceOnlyAndARestateBringsItBack() {
        Client mine = connect("a");
        role.apply(new ClusterEntry.Connected(OTHER, remote("n2-1", "b")));
        role.apply(new ClusterEntry.Connected("n3", remote("n3-1", "c")));

        role.apply(new ClusterEntry.NodeGone(OTHER));
        role.apply(new ClusterEntry.NodeGone(SELF)); // its own restate: what it holds stays

        assertThat(role.isOnline("b")).isFalse();
        assertThat(role.isOnline("c")).isTrue();
        assertThat(role.isOnline("a")).isTrue();
        assertThat(role.clusterSessionsOf("a")).containsExactly(mine.session().clientId());

        role.apply(new ClusterEntry.Restated(OTHER, List.of(remote("n2-1", "b", "room"), remote("n2-2", "b"))));
        assertThat(role.clusterSessionsOf("b")).containsExactly("n2-1", "n2-2");
        assertThat(role.reach(Target.group("room"))).isEqualTo(1);
    }

    // ---- the backend's memberships -------------------------------------------------------------------

    @Test
    void aUidJoinedOnAnotherNodeMakesTheUidsSessionsHereReceiveGroupMessages() {
        Client a = connect("a");
        Client b = connect("b");

        role.apply(new ClusterEntry.UidJoined(OTHER, "a", "room", Set.of("room")));
        role.apply(message(1, Target.group("room"), "1"));

        assertThat(a.frames()).containsExactly("GROUP:room:1");
        assertThat(b.frames()).isEmpty();
        assertThat(role.groupsOfUid("a")).containsExactly("room");
        assertThat(connect("a").session().groups()).as("and its sessions that come later").containsExactly("room");
    }

    @Test
    void aUidMembershipFromThisNodeItselfIsNotAppliedAgainAndARefusedOneByNobody() {
        Client a = connect("a");
        role.apply(new ClusterEntry.UidJoined(SELF, "a", "room", Set.of("room")));
        role.apply(new ClusterEntry.UidJoinRefused(OTHER, "a", "lobby", Set.of("lobby")));

        assertThat(a.session().groups()).isEmpty();
        assertThat(role.groupsOfUid("a")).isEmpty();
    }

    @Test
    void aUidLeftOnAnotherNodeTakesTheUidsSessionsOutOfTheGroup() {
        Client a = connect("a");
        role.apply(new ClusterEntry.UidJoined(OTHER, "a", "room", Set.of("room")));

        role.apply(new ClusterEntry.UidLeft(OTHER, "a", "room", Set.of()));
        role.apply(message(1, Target.group("room"), "1"));

        assertThat(a.session().groups()).isEmpty();
        assertThat(role.groupsOfUid("a")).isEmpty();
        assertThat(a.frames()).isEmpty();
    }

    @Test
    void aJoinOrLeaveClientIsAppliedByTheNodeHoldingTheClientOnly() {
        Client a = connect("a");
        String id = a.session().clientId();

        role.apply(new ClusterEntry.JoinClient(OTHER, id, "room"));
        assertThat(a.session().groups()).isEmpty();
        role.apply(new ClusterEntry.JoinClient(SELF, id, "room"));
        assertThat(a.session().groups()).containsExactly("room");

        role.apply(new ClusterEntry.LeaveClient(OTHER, id, "room"));
        assertThat(a.session().groups()).containsExactly("room");
        role.apply(new ClusterEntry.LeaveClient(SELF, id, "room"));
        assertThat(a.session().groups()).isEmpty();
    }

    // ---- kicks and bans ----------------------------------------------------------------------------------

    @Test
    void aUidKickedOnAnotherNodeClosesTheUidsSessionsHereAsKicked() {
        Client a1 = connect("a");
        Client a2 = connect("a");
        Client b = connect("b");

        role.apply(new ClusterEntry.UidKicked(SELF, "a")); // its origin kicked them already when it was asked
        assertThat(a1.session().isClosed()).isFalse();

        role.apply(new ClusterEntry.UidKicked(OTHER, "a"));
        assertThat(a1.transport().closes).containsExactly(Disconnect.KICKED);
        assertThat(a2.transport().closes).containsExactly(Disconnect.KICKED);
        assertThat(b.session().isClosed()).isFalse();
    }

    @Test
    void aKickClientClosesTheClientOnTheNodeItNamesOnly() {
        Client a = connect("a");

        role.apply(new ClusterEntry.KickClient(OTHER, a.session().clientId()));
        assertThat(a.session().isClosed()).isFalse();

        role.apply(new ClusterEntry.KickClient(SELF, a.session().clientId()));
        assertThat(a.transport().closes).containsExactly(Disconnect.KICKED);
    }

    @Test
    void aBanRefusesTheUidsNewSessionsOnEveryNodeItsOriginIncluded() {
        long until = System.currentTimeMillis() + 60_000;
        role.apply(new ClusterEntry.UidBanned("a", until));

        assertThat(node.bannedUntil("a")).isEqualTo(until);
        ClientClaims claims = new ClientClaims("a", Set.of(), Set.of(), Instant.now().plusSeconds(60));
        assertThat(node.connect(claims, new RecordingTransport(), (s, c) -> Frame.control(new byte[0]), null)).isNull();
        assertThat(node.refusal("a")).isEqualTo(Disconnect.BANNED);
    }

    // ---- what the broker restates ---------------------------------------------------------------------

    @Test
    void theSnapshotHoldsThisNodesSessionsAndUidMemberships() {
        Client a = connect("a", "lobby");
        role.joinUid("a", "room");

        List<BrokerRole.LocalState> seen = new CopyOnWriteArrayList<>();
        role.snapshot(seen::add);

        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).sessions()).containsExactly(remote(a.session().clientId(), "a", "lobby", "room"));
        assertThat(seen.get(0).uidGroups()).containsEntry("a", Set.of("room"));
    }

    @Test
    void aNodeMissingFromAReloadKeepsItsSessionsUntilItRestatesOrIsForgotten() {
        connect("a");
        role.apply(new ClusterEntry.Connected(OTHER, remote("n2-1", "b")));
        role.apply(new ClusterEntry.Connected(OTHER, remote("n2-2", "c")));

        assertThat(role.reloadingOtherNodes(Set.of())).containsExactly(OTHER);
        assertThat(role.isOnline("b")).as("not gone until it had the time to restate").isTrue();
        role.apply(new ClusterEntry.Restating(OTHER, 1));
        role.apply(new ClusterEntry.Restated(OTHER, List.of(remote("n2-1", "b"))));
        role.forgetNodeUnlessRestated(OTHER); // too late: it restated

        assertThat(role.isOnline("b")).isTrue();
        assertThat(role.isOnline("c")).as("not restated: gone").isFalse();

        role.reloadingOtherNodes(Set.of());
        role.forgetNodeUnlessRestated(OTHER);
        assertThat(role.isOnline("b")).as("never restated: forgotten").isFalse();
        assertThat(role.isOnline("a")).as("this node's own sessions are not another node's business").isTrue();
    }
}
