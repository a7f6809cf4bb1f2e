package io.pushgate.broker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import io.pushgate.codec.JsonFrames;
import io.pushgate.core.BrokerUnavailableException;
import io.pushgate.core.Limits;
import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.PushNode;
import io.pushgate.core.Target;
import io.pushgate.core.history.InMemoryHistory;
import io.pushgate.support.Closer;
import io.pushgate.support.RedisClusterServers;
import io.pushgate.support.RedisSentinel;
import io.pushgate.support.RedisServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import tools.jackson.databind.json.JsonMapper;

/**
 * The partitioned log's delivery ({@link PartitionFeed}, {@link Scripts#PARTITION_APPEND}) on a real Redis
 * of each topology: a node receives exactly the channels it holds, each entry once and in its partition's
 * order, across a dropped pub/sub connection, and is told when entries it missed are gone.
 */
abstract class PartitionFeedBehaviour {

    static final PartitionLayout LAYOUT = new PartitionLayout("pushgate", 8);
    static final RedisSettings SETTINGS = new RedisSettings("pushgate", Duration.ofSeconds(1), Duration.ofSeconds(3),
            Duration.ofSeconds(2), 10_000);

    /** One node's view: its partitions, its feed, and what the feed handed on. */
    final class Node implements AutoCloseable {
        final LettuceConnectionFactory factory = factory();
        final ReactiveStringRedisTemplate redis;
        final List<PartitionLog> logs = new ArrayList<>();
        final PartitionFeed feed;
        final List<String> received = new CopyOnWriteArrayList<>();
        final List<Integer> lost = new CopyOnWriteArrayList<>();
        /** Publishes as this node would; its node runs alone here, so its roster knows no session. */
        final PartitionedPublisher publisher;

        Node(String name) {
            factory.afterPropertiesSet();
            factory.start();
            redis = new ReactiveStringRedisTemplate(factory);
            boolean sharded = factory.getRequiredNativeClient() instanceof io.lettuce.core.cluster.RedisClusterClient;
            ClusterLink link = new ClusterLink(name, "e");
            link.synced = true;
            for (int k = 0; k < LAYOUT.count(); k++) {
                PartitionLog log = new PartitionLog(k, LAYOUT, redis, SETTINGS, Limits.DEFAULTS, link, sharded, 3, 2);
                log.sync(redis, "ep" + k, SETTINGS).block();
                logs.add(log);
            }
            feed = new PartitionFeed(factory.getRequiredNativeClient(), LAYOUT, logs, redis, new PartitionFeed.Receiver() {
                @Override
                public void received(int partition, LogEntry entry) {
                    received.add(partition + ":" + entry.value());
                }

                @Override
                public void lost(int partition, String epoch, long position, boolean newEpoch) {
                    lost.add(partition);
                }
            }, Duration.ofMillis(50), SETTINGS);
            JsonMapper mapper = JsonMapper.builder().build();
            PushNode node = new PushNode(name, Limits.DEFAULTS, new JsonFrames(mapper),
                    new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC());
            publisher = new PartitionedPublisher(node, LAYOUT, logs, new LogCodec(new PublicationCodec(mapper)));
        }

        void holdShared() {
            for (int k = 0; k < LAYOUT.count(); k++) {
                feed.hold(k, PartitionLayout.SHARED_CHANNEL).block();
            }
        }

        PublishResult publish(Target target, String data, String key) {
            return publish(target, data, key, 0);
        }

        PublishResult publish(Target target, String data, String key, int ttlSeconds) {
            return publisher.publish(List.of(new Publication(target, "e", data, ttlSeconds, key)), 1).block().get(0);
        }

        List<String> takeHeld(String uid) {
            return logs.get(LAYOUT.of(uid)).takeHeld(redis, uid, SETTINGS).block().stream().map(LogEntry::value).toList();
        }

        void hold(String uid) {
            feed.hold(LAYOUT.of(uid), PartitionLayout.uidChannel(uid)).block();
        }

        /** Appends a message for the uids (all in one partition), as the publishing node would. */
        void push(String text, String... uids) {
            int k = LAYOUT.of(uids[0]);
            List<String> channels = new ArrayList<>();
            for (String uid : uids) {
                assertThat(LAYOUT.of(uid)).isEqualTo(k);
                channels.add(PartitionLayout.uidChannel(uid));
            }
            logs.get(k).appender.appendAll(List.of(LogEntry.MESSAGE, LogEntry.items(channels), text)).block();
        }

        @Override
        public void close() {
            feed.close();
            factory.destroy();
        }
    }

    abstract LettuceConnectionFactory factory();

    /** Closes every pub/sub connection the servers hold, as a network cut would. */
    abstract void killPubSubConnections();

    /** Empties partition {@code k}'s stream. */
    abstract void trim(int k);

    /** Sends a command to the master that holds {@code key}. */
    abstract String onMaster(String key, String... command);

    /** Two uids in one partition, one in another, and a third in the first. */
    static String[] uids() {
        String a = "alice";
        String b = IntStream.range(0, 1000).mapToObj(i -> "u" + i)
                .filter(u -> LAYOUT.of(u) == LAYOUT.of(a)).findFirst().orElseThrow();
        String c = IntStream.range(0, 1000).mapToObj(i -> "v" + i)
                .filter(u -> LAYOUT.of(u) != LAYOUT.of(a)).findFirst().orElseThrow();
        String d = IntStream.range(0, 1000).mapToObj(i -> "w" + i)
                .filter(u -> LAYOUT.of(u) == LAYOUT.of(a)).findFirst().orElseThrow();
        return new String[] {a, b, c, d};
    }

    @Test
    void aNodeReceivesTheChannelsItHoldsAndNothingElse() {
        String[] u = uids();
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.hold(u[0]);
            b.hold(u[1]);
            b.hold(u[2]);
            for (int i = 0; i < 50; i++) {
                a.push(u[0] + i, u[0]);
                a.push(u[1] + i, u[1]);
                b.push(u[2] + i, u[2]);
            }
            a.push("both", u[0], u[1]);
            int ka = LAYOUT.of(u[0]);
            int kc = LAYOUT.of(u[2]);
            List<String> forA = new ArrayList<>();
            List<String> forB = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                forA.add(ka + ":" + u[0] + i);
                forB.add(ka + ":" + u[1] + i);
            }
            forA.add(ka + ":both");
            forB.add(ka + ":both");
            await().atMost(Duration.ofSeconds(10)).until(() -> a.received.size() >= 51 && b.received.size() >= 101);
            assertThat(a.received).as("only alice's pushes, once each, in order").containsExactlyElementsOf(forA);
            List<String> bInK = b.received.stream().filter(e -> e.startsWith(ka + ":")).toList();
            assertThat(bInK).containsExactlyElementsOf(forB);
            assertThat(b.received.stream().filter(e -> e.startsWith(kc + ":"))).hasSize(50);
        }
    }

    @Test
    void aReleasedChannelStopsArriving() {
        String[] u = uids();
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.hold(u[0]);
            a.hold(u[2]);
            a.feed.release(LAYOUT.of(u[0]), PartitionLayout.uidChannel(u[0]));
            await().atMost(Duration.ofSeconds(5)).until(() -> a.feed.heldChannels() == 1);
            b.push("after", u[0]);
            b.push("marker", u[2]); // published after: once it is here, "after" would have been too
            await().atMost(Duration.ofSeconds(5)).until(() -> !a.received.isEmpty());
            assertThat(a.received).containsExactly(LAYOUT.of(u[2]) + ":marker");
        }
    }

    @Test
    void aDroppedConnectionLosesNothingAndRepeatsNothing() {
        String[] u = uids();
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.hold(u[0]);
            a.hold(u[2]);
            List<String> expected = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 20; i++) {
                    b.push(round + "-" + i, u[0]);
                    expected.add(LAYOUT.of(u[0]) + ":" + round + "-" + i);
                }
                killPubSubConnections(); // what is published now reaches nobody live
                for (int i = 20; i < 40; i++) {
                    b.push(round + "-" + i, u[0]);
                    expected.add(LAYOUT.of(u[0]) + ":" + round + "-" + i);
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> a.received.size() >= expected.size());
            assertThat(a.received).containsExactlyElementsOf(expected);
            assertThat(a.lost).isEmpty();
        }
    }

    @Test
    void entriesTrimmedWhileCutOffAreReportedLost() {
        String[] u = uids();
        int k = LAYOUT.of(u[0]);
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.hold(u[0]);
            b.push("before", u[0]);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.received.size() == 1);
            b.push("not for a", u[1]); // a hears nothing of it, and cannot tell it apart from a lost one of its own
            trim(k);
            killPubSubConnections();
            await().atMost(Duration.ofSeconds(20)).until(() -> !a.lost.isEmpty());
            b.push("later", u[0]);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.received.contains(k + ":later"));
            assertThat(a.lost).as("told once").containsExactly(k);
            assertThat(a.received).containsExactly(k + ":before", k + ":later");
        }
    }

    @Test
    void aDropWithNothingTrimmedIsNoLoss() {
        String[] u = uids();
        int k = LAYOUT.of(u[0]);
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.hold(u[0]);
            b.push("before", u[0]);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.received.size() == 1);
            trim(k); // the stream no longer holds the last entry a received, but nothing came after it
            killPubSubConnections();
            b.push("later", u[0]);
            await().atMost(Duration.ofSeconds(10)).until(() -> a.received.contains(k + ":later"));
            assertThat(a.lost).isEmpty();
        }
    }

    @Test
    void aUidPushReachesOnlyTheNodeHoldingTheUid() {
        String[] u = uids();
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.hold(u[0]);
            b.hold(u[1]); // the same partition, another uid
            b.hold(u[2]);
            PublishResult r = b.publish(Target.uid(u[0]), "1", null);
            b.publish(Target.uid(u[2]), "2", null); // after it: once b has this, b would have had the first
            await().atMost(Duration.ofSeconds(5)).until(() -> a.received.size() == 1 && b.received.size() == 1);
            assertThat(a.received.get(0)).startsWith(LAYOUT.of(u[0]) + ":").contains("\"1\"");
            assertThat(b.received.get(0)).startsWith(LAYOUT.of(u[2]) + ":").contains("\"2\"");
            assertThat(r.id()).as("the message's cursor in its uid's partition")
                    .startsWith(a.logs.get(LAYOUT.of(u[0])).epoch + "-");
        }
    }

    @Test
    void aGroupMessageIsCopiedToEveryPartitionAndARepeatedKeyToNone() {
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.holdShared();
            String key = "k-" + System.nanoTime();
            PublishResult first = b.publish(Target.group("g"), "111111", key);
            PublishResult again = b.publish(Target.group("g"), "111111", key);
            b.publish(Target.group("g"), "222222", null);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.received.size() >= 2 * LAYOUT.count());
            assertThat(a.received).hasSize(2 * LAYOUT.count());
            for (int k = 0; k < LAYOUT.count(); k++) {
                int kk = k;
                assertThat(a.received.stream().filter(e -> e.startsWith(kk + ":")).map(e -> e.contains("111111") ? 1 : e.contains("222222") ? 2 : 0))
                        .as("partition %d: the keyed message once, then the next", k).containsExactly(1, 2);
            }
            assertThat(again.duplicate()).isTrue();
            assertThat(again.id()).isEqualTo(first.id()).startsWith(a.logs.get(0).epoch + "-");
        }
    }

    @Test
    void aTtlMessageForAnOfflineUidIsHeldOnceAndBounded() {
        String[] u = uids(); // u[0] and u[1] share a partition
        try (Node a = new Node("a"); Node b = new Node("b")) {
            for (int i = 1; i <= 4; i++) {
                b.publish(Target.uid(u[0]), "10" + i, null, 60);
            }
            b.publish(Target.uid(u[1]), "201", null, 60);
            b.publish(Target.uid(u[2]), "301", null, 60);
            b.publish(Target.uid(u[2]), "302", null, 0); // no ttl: not held
            assertThat(a.takeHeld(u[0])).as("the newest 3 per uid").satisfiesExactly(
                    v -> assertThat(v).contains("102"), v -> assertThat(v).contains("103"), v -> assertThat(v).contains("104"));
            assertThat(b.takeHeld(u[0])).as("taken once, cluster-wide").isEmpty();
            assertThat(a.takeHeld(u[2])).singleElement().asString().contains("301");
            // a third uid in u[0]'s partition passes its bound of 2 uids: the one whose holds end first loses them
            b.publish(Target.uid(u[0]), "105", null, 120);
            b.publish(Target.uid(u[3]), "401", null, 90);
            assertThat(a.takeHeld(u[1])).as("the soonest to end went").isEmpty();
            assertThat(a.takeHeld(u[0])).singleElement().asString().contains("105");
            assertThat(a.takeHeld(u[3])).singleElement().asString().contains("401");
        }
    }

    @Test
    void aNumberUsedTwiceIsNoticedAndThePartitionGetsANewEpoch() {
        String[] u = uids();
        int k = LAYOUT.of(u[0]);
        try (Node a = new Node("a"); Node b = new Node("b")) {
            a.hold(u[0]);
            for (int i = 0; i < 5; i++) {
                b.push("x" + i, u[0]);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> a.received.size() == 5);
            String before = a.logs.get(k).epoch;
            long seq = Long.parseLong(onMaster(LAYOUT.keys(k).seq(), "GET", LAYOUT.keys(k).seq()));
            // as a replica that lagged three entries behind would be, once promoted
            String log = LAYOUT.keys(k).log();
            onMaster(log, "XDEL", log, (seq - 2) + "-0", (seq - 1) + "-0", seq + "-0");
            onMaster(log, "XSETID", log, (seq - 3) + "-0");
            onMaster(log, "SET", LAYOUT.keys(k).seq(), Long.toString(seq - 3));
            try (Node c = new Node("c")) { // has seen nothing of the partition: its append is not refused
                c.push("reused", u[0]);
                await().atMost(Duration.ofSeconds(5)).until(() -> !a.lost.isEmpty() && !a.logs.get(k).epoch.equals(before));
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    try {
                        c.push("after", u[0]); // refused while c holds the old epoch; c resyncs and takes the new one
                        return true;
                    } catch (BrokerUnavailableException refused) {
                        return false;
                    }
                });
                await().atMost(Duration.ofSeconds(5)).until(() -> a.received.contains(k + ":after"));
            }
            assertThat(a.received).as("the entry under a used number is not delivered as if new").doesNotContain(k + ":reused");
            assertThat(a.lost).containsOnly(k);
        }
    }
}
