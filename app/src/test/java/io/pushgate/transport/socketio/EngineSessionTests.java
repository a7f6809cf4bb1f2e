package io.pushgate.transport.socketio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** One Engine.IO session's queue and transports, without a network: what each kind of request gets. */
class EngineSessionTests {

    final List<String> messages = new ArrayList<>();
    final List<String> closes = new ArrayList<>();
    final EngineSession engine = session(false);

    EngineSession session(boolean eio3) {
        return new EngineSession("sid", eio3, 3, new EngineSession.Listener() {
            @Override
            public void onMessage(EngineSession session, String packet) {
                messages.add(packet);
            }

            @Override
            public void onClose(EngineSession session, String reason) {
                closes.add(reason);
            }
        });
    }

    @Test
    void aPollTakesEverythingQueuedJoinedByTheRecordSeparator() {
        engine.send("40{\"sid\":\"x\"}");
        engine.send("42[\"a\",1]");

        StepVerifier.create(engine.poll()).expectNext("40{\"sid\":\"x\"}\u001e42[\"a\",1]").verifyComplete();
    }

    @Test
    void anEmptyQueueHoldsThePollUntilAPacketComes() {
        StepVerifier.create(engine.poll())
                .expectSubscription()
                .expectNoEvent(java.time.Duration.ofMillis(50))
                .then(() -> engine.send("2"))
                .expectNext("2")
                .verifyComplete();
    }

    @Test
    void aSecondPollWhileOneIsHeldEndsTheSession() {
        Mono<String> first = engine.poll();
        StepVerifier.create(first)
                .expectSubscription()
                .then(() -> StepVerifier.create(engine.poll()).expectError(IllegalStateException.class).verify())
                .expectNext("1") // the held poll learns the session is closed
                .verifyComplete();
        assertThat(closes).containsExactly("overlapping polls");
    }

    @Test
    void aPostMayCarrySeveralPackets() {
        engine.receive("40{\"token\":\"t\"}\u001e3\u001e42[\"login\",\"7\"]");

        assertThat(messages).containsExactly("0{\"token\":\"t\"}", "2[\"login\",\"7\"]");
    }

    @Test
    void theUpgradeReleasesTheHeldPollWithANoopAndKeepsTheOrderOfWhatWasQueued() {
        Sinks.Many<String> socket = Sinks.many().unicast().onBackpressureBuffer();
        StepVerifier.create(engine.poll())
                .expectSubscription()
                .then(() -> engine.probe(socket))
                .expectNext("6")
                .verifyComplete();
        engine.send("42[\"a\",1]"); // still queued for polling until the client says 5
        engine.send("42[\"a\",2]");
        engine.upgrade(socket);
        engine.send("42[\"a\",3]");
        engine.close("done", false);

        StepVerifier.create(socket.asFlux())
                .expectNext("3probe", "42[\"a\",1]", "42[\"a\",2]", "42[\"a\",3]", "1")
                .verifyComplete();
        StepVerifier.create(engine.poll()).expectNext("1").verifyComplete();
    }

    @Test
    void aClientThatLetsTheQueueOverflowIsClosed() {
        for (int i = 0; i < 3; i++) {
            assertThat(engine.send("42[" + i + "]")).isTrue();
        }

        assertThat(engine.send("42[3]")).isFalse();

        assertThat(closes).containsExactly("slow client");
        StepVerifier.create(engine.poll()).expectNext("42[0]\u001e42[1]\u001e42[2]\u001e42[3]\u001e1").verifyComplete();
    }

    @Test
    void aKickSaysDisconnectBeforeClose() {
        engine.close("kicked", true);

        StepVerifier.create(engine.poll()).expectNext("41\u001e1").verifyComplete();
        assertThat(engine.send("42[\"late\"]")).isFalse();
    }

    @Test
    void aPingThatGetsNoPongInTimeEndsTheSession() {
        engine.tick(0, -1); // a timeout of -1: any wait is past it
        assertThat(closes).isEmpty();
        engine.onPacket("3");
        engine.tick(0, -1); // answered: the next ping goes out
        assertThat(closes).isEmpty();

        engine.tick(0, -1); // not answered

        assertThat(closes).containsExactly("ping timeout");
        StepVerifier.create(engine.poll()).expectNext("2\u001e2\u001e1").verifyComplete();
    }

    @Test
    void engineIo3FramesEachPacketWithItsLengthInUtf16Units() {
        EngineSession old = session(true);
        old.send("40");
        old.send("42[\"new_msg\",\"数据\"]");

        StepVerifier.create(old.poll()).expectNext("2:4018:42[\"new_msg\",\"数据\"]").verifyComplete();
        StepVerifier.create(old.poll()).expectSubscription().then(() -> old.close("done", false)).expectNext("1:1").verifyComplete();
    }

    @Test
    void engineIo3ReadsFramedPostsAndAnswersTheClientsPings() {
        EngineSession old = session(true);
        old.receive("2:4013:42[\"login\",7]1:2");

        assertThat(messages).containsExactly("0", "2[\"login\",7]");
        StepVerifier.create(old.poll()).expectNext("1:3").verifyComplete();
    }

    @Test
    void aMalformedEngineIo3PostEndsTheSession() {
        EngineSession old = session(true);
        old.receive("9:42");

        assertThat(closes).containsExactly("bad payload");
    }

    @Test
    void anEngineIo3ClientThatStopsPingingIsClosed() {
        EngineSession old = session(true);
        old.tick(Long.MAX_VALUE / 4, 0); // pinged recently enough
        assertThat(closes).isEmpty();

        old.tick(-1, 0);

        assertThat(closes).containsExactly("ping timeout");
    }
}
