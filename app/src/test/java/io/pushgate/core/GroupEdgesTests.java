package io.pushgate.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pushgate.core.history.InMemoryHistory;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who tells a group change to the outside world ({@link PushNode#watchGroupEdges}): in a cluster every node hears
 * every change in the log's order, and exactly one of them is its teller, the node whose session changed or the
 * node that wrote a dead node's {@code NodeGone}; a node restating its sessions tells nothing of the ones it
 * still holds. A node alone tells every change as it happens.
 */
class GroupEdgesTests {

    static final String SELF = "n1";
    static final String OTHER = "n2";
    static final String THIRD = "n3";

    final PushNode node = new PushNode(SELF, new Limits(16, 3, 2), new MessageEncoder() {
        @Override
        public Frame encode(Message message) {
            return new Frame(message.dataJson().getBytes(StandardCharsets.UTF_8), message.id(), message.event());
        }

        @Override
        public Frame reset(String cursor) {
            return Frame.control("reset".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Frame ping(String cursor) {
            return Frame.control("ping".getBytes(StandardCharsets.UTF_8));
        }
    }, new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC());
    final List<String> heard = new CopyOnWriteArrayList<>();

    GroupEdgesTests() {
        node.watchGroupEdges(new GroupWatcher() {
            @Override
            public void changed(String group, String clientId, boolean in, @Nullable String data) {
                throw new AssertionError("an edge watcher is always told who tells");
            }

            @Override
            public void changed(String group, String clientId, boolean in, @Nullable String data, boolean teller) {
                heard.add((in ? "in " : "out ") + group + " " + clientId + (teller ? " told here" : ""));
            }
        });
    }

    @AfterEach
    void close() {
        node.close();
    }

    private Session connect(String uid, String... groups) {
        Session session = node.connect(new ClientClaims(uid, Set.of(groups), Set.of(), Instant.now().plusSeconds(60)),
                new RecordingTransport(), (s, cursor) -> Frame.control("welcome".getBytes(StandardCharsets.UTF_8)), null);
        assertThat(session).isNotNull();
        return session;
    }

    private static ClusterEntry.SessionState state(String clientId, String uid, String... groups) {
        return new ClusterEntry.SessionState(clientId, uid, Set.of(groups));
    }

    @Test
    void aloneEveryChangeIsToldHereAsItHappens() {
        Session s = connect("u", "room");
        node.disconnected(s);
        assertThat(heard).containsExactly("in room " + s.clientId() + " told here", "out room " + s.clientId() + " told here");
    }

    @Test
    void inAClusterChangesAreHeardInLogOrderAndToldOnlyByTheNodeWhoseSessionChanged() {
        node.joinCluster(SessionEvents.NONE);
        Session mine = connect("u", "room");
        assertThat(heard).as("not before the log has it: the log's order is every node's").isEmpty();

        node.apply(new ClusterEntry.Connected(OTHER, state("n2-1", "v", "room")));
        node.apply(new ClusterEntry.Connected(SELF, state(mine.clientId(), "u", "room")));
        node.apply(new ClusterEntry.Left(OTHER, "room", state("n2-1", "v")));
        node.apply(new ClusterEntry.Disconnected(SELF, mine.clientId()));

        assertThat(heard).containsExactly("in room n2-1", "in room " + mine.clientId() + " told here", "out room n2-1",
                "out room " + mine.clientId() + " told here");
    }

    @Test
    void aDeadNodesSessionsAreToldByTheNodeThatReapedItOnly() {
        node.joinCluster(SessionEvents.NONE);
        node.apply(new ClusterEntry.Connected(OTHER, state("n2-1", "v", "room")));
        node.apply(new ClusterEntry.Connected(THIRD, state("n3-1", "w", "room")));

        node.apply(new ClusterEntry.NodeGone(OTHER, SELF)); // this node reaped n2
        node.apply(new ClusterEntry.NodeGone(THIRD, OTHER)); // n2 reaped n3, before it died itself

        assertThat(heard).containsExactly("in room n2-1", "in room n3-1", "out room n2-1 told here", "out room n3-1");
    }

    @Test
    void aRestateTellsHereOnlyWhatChangedWhileTheLogHeardNothing() {
        node.joinCluster(SessionEvents.NONE);
        Session kept = connect("u", "room");
        Session gone = connect("v", "hall");
        node.apply(new ClusterEntry.Connected(SELF, state(kept.clientId(), "u", "room")));
        node.apply(new ClusterEntry.Connected(SELF, state(gone.clientId(), "v", "hall")));
        heard.clear();
        node.disconnected(gone); // while Redis was away: the log never heard of it, nor of kept joining news

        node.apply(new ClusterEntry.Restating(SELF, 1));
        node.apply(new ClusterEntry.Restated(SELF, List.of(state(kept.clientId(), "u", "room", "news"))));

        assertThat(heard).containsExactly("in news " + kept.clientId() + " told here",
                "out hall " + gone.clientId() + " told here");
    }

    @Test
    void anotherNodesRestateIsToldByThatNodeNotHere() {
        node.joinCluster(SessionEvents.NONE);
        node.apply(new ClusterEntry.Connected("other", state("o-1", "u", "room")));
        node.apply(new ClusterEntry.Connected("other", state("o-2", "v", "hall")));
        heard.clear();

        node.apply(new ClusterEntry.Restating("other", 1));
        node.apply(new ClusterEntry.Restated("other", List.of(state("o-1", "u", "room"))));

        assertThat(heard).containsExactly("out hall o-2");
    }
}
