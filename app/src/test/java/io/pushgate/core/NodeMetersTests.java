package io.pushgate.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pushgate.core.history.InMemoryHistory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The node's counters as a metrics adapter reads them, on a {@link PushNode} without any transport. */
class NodeMetersTests {

    final MessageEncoder encoder = new MessageEncoder() {
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
    };
    final PushNode node = new PushNode("n1", new Limits(4, 3, 2), encoder,
            new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC());
    final NodeMeters meters = node.meters();

    @AfterEach
    void close() {
        node.close();
    }

    static Transport named(String name) {
        return new Transport() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void close(Disconnect disconnect) {
            }
        };
    }

    Session connect(String uid, String transport) {
        ClientClaims claims = new ClientClaims(uid, Set.of("room"), Set.of(), Instant.now().plusSeconds(60));
        Session session = node.connect(claims, named(transport), null, null);
        assertThat(session).isNotNull();
        return session;
    }

    @Test
    void sessionsAreOpenedMinusEndedPerTransportAndEndsAreCountedByCode() {
        Session a = connect("a", "websocket");
        Session b = connect("b", "websocket");
        connect("c", "sse");

        assertThat(meters.transports()).containsExactly("websocket", "sse");
        assertThat(meters.sessions("websocket")).isEqualTo(2);
        assertThat(meters.sessions("sse")).isEqualTo(1);
        assertThat(meters.sessions("long-poll")).isZero();

        a.close(Disconnect.KICKED);
        node.disconnected(a);
        b.endedWith(Disconnect.HEARTBEAT_TIMEOUT); // the transport ended it, the node did not
        node.disconnected(b);

        assertThat(meters.sessions("websocket")).isZero();
        assertThat(meters.connects("websocket")).isEqualTo(2);
        assertThat(meters.disconnects("websocket", 4403)).isEqualTo(1);
        assertThat(meters.disconnects("websocket", 4408)).isEqualTo(1);
        assertThat(meters.disconnects("sse", 4403)).isZero();
    }

    @Test
    void deliveriesAreCountedPerTransportOncePerPublish() {
        connect("a", "websocket");
        connect("b", "websocket");
        connect("c", "sse");

        node.publish(new Publication(Target.group("room"), "e", "1", 0));
        node.publish(new Publication(Target.uid("c"), "e", "2", 0));

        assertThat(meters.deliveries("websocket")).isEqualTo(2);
        assertThat(meters.deliveries("sse")).isEqualTo(2);
        assertThat(node.deliveredCount()).isEqualTo(4);
        assertThat(node.publishedCount()).isEqualTo(2);
    }

    @Test
    void theFirstWriteOfASampledFrameReportsItsLatencyOnce() {
        List<Long> samples = new CopyOnWriteArrayList<>();
        meters.sampleFanoutLatency(samples::add);
        Session a = connect("a", "websocket");
        Session b = connect("b", "websocket");

        node.publish(new Publication(Target.group("room"), "e", "1", 0));
        node.publish(new Publication(Target.uid("nobody"), "e", "2", 60)); // held: no session to write it

        Frame first = a.frames().blockFirst(Duration.ofSeconds(5));
        first.written();
        b.frames().blockFirst(Duration.ofSeconds(5)).written();
        assertThat(samples).hasSize(1);
        assertThat(samples.get(0)).isNotNegative();

        Session nobody = connect("nobody", "websocket"); // gets the held message long after its publish
        nobody.frames().blockFirst(Duration.ofSeconds(5)).written();
        assertThat(samples).as("a frame no session took at its publish is not sampled").hasSize(1);
    }

    @Test
    void aBannedUidRefusedIsAnAuthFailure() {
        node.ban("a", System.currentTimeMillis() + 60_000);
        ClientClaims claims = new ClientClaims("a", Set.of(), Set.of(), Instant.now().plusSeconds(60));

        assertThat(node.connect(claims, named("websocket"), null, null)).isNull();
        assertThat(meters.authFailures(InvalidTokenException.Reason.BANNED)).isEqualTo(1);
    }

    @Test
    void aCountedVerifierCountsRefusalsByReasonAndItsUncountedOneDoesNot() {
        TokenVerifier refusing = token -> {
            throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED, "token expired");
        };
        TokenVerifier counted = meters.counted(refusing);

        assertThatThrownBy(() -> counted.verify("t")).isInstanceOf(InvalidTokenException.class);
        assertThatThrownBy(() -> counted.uncounted().verify("t")).isInstanceOf(InvalidTokenException.class);

        assertThat(meters.authFailures(InvalidTokenException.Reason.EXPIRED)).isEqualTo(1);
        assertThat(meters.authFailures(InvalidTokenException.Reason.MALFORMED)).isZero();
    }

    @Test
    void aBrokerCountedAsASourceCountsAcceptedPublishesButNotDuplicates() {
        Broker broker = new Broker() {
            @Override
            public Mono<List<PublishResult>> publish(List<Publication> publications) {
                List<PublishResult> results = new ArrayList<>();
                for (int i = 0; i < publications.size(); i++) {
                    results.add(new PublishResult("id" + i, 0, List.of(), List.of(), i == 1));
                }
                return Mono.just(results);
            }

            @Override public Mono<Integer> joinUid(String uid, String group) { return Mono.empty(); }
            @Override public Mono<Integer> leaveUid(String uid, String group) { return Mono.empty(); }
            @Override public Mono<Hub.Join> joinClient(String clientId, String group) { return Mono.empty(); }
            @Override public Mono<Boolean> leaveClient(String clientId, String group) { return Mono.empty(); }
            @Override public Mono<Integer> kickUid(String uid) { return Mono.empty(); }
            @Override public Mono<Void> banUid(String uid, long untilMillis) { return Mono.empty(); }
            @Override public Mono<Boolean> kickClient(String clientId) { return Mono.empty(); }
            @Override public Mono<Boolean> setSessionData(String clientId, String data) { return Mono.empty(); }
            @Override public Mono<List<NodeStats>> stats() { return Mono.empty(); }
        };
        Broker compat = meters.countedAs(NodeMeters.Source.COMPAT, broker);
        Publication p = new Publication(Target.uid("a"), "e", "1", 0);

        compat.publish(List.of(p, p, p)).block();

        assertThat(meters.published(NodeMeters.Source.COMPAT)).isEqualTo(2);
        assertThat(meters.published(NodeMeters.Source.CLIENT)).isZero();
    }

    @Test
    void transportsPastTheBoundShareOneSlotAndListenersHearOfEachNewLabelOnce() {
        List<String> heard = new CopyOnWriteArrayList<>();
        meters.listen(new NodeMeters.NewLabels() {
            @Override
            public void transport(String transport) {
                heard.add(transport);
            }

            @Override
            public void disconnect(String transport, int code) {
                heard.add(transport + ":" + code);
            }
        });
        for (int i = 0; i < NodeMeters.MAX_TRANSPORTS + 3; i++) {
            assertThat(meters.slot("t" + i)).isLessThan(NodeMeters.MAX_TRANSPORTS);
        }
        meters.disconnected(0, Disconnect.KICKED);
        meters.disconnected(0, Disconnect.KICKED);
        meters.disconnected(0, null);

        assertThat(meters.transports()).hasSize(NodeMeters.MAX_TRANSPORTS).endsWith("other");
        assertThat(heard).doesNotHaveDuplicates().contains("t0:4403", "t0:" + NodeMeters.NO_CODE, "other");
        assertThat(meters.disconnects("t0", 4403)).isEqualTo(2);
    }
}
