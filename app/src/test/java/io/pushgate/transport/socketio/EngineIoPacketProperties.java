package io.pushgate.transport.socketio;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Engine.IO packet parser (a polling {@code POST} body, Engine.IO 3 and 4, and a WebSocket text
 * message) takes anything a client can send: it hands packets on, or ends the session with a reason
 * the client reads as a close, and no input makes it throw.
 */
class EngineIoPacketProperties {

    @Property(tries = 2000)
    void anyPollingBodyIsPacketsOrAClose(@ForAll("bodies") String body, @ForAll boolean eio3) {
        Recorder recorder = new Recorder();
        EngineSession engine = new EngineSession("sid", eio3, 8, recorder);
        engine.receive(body);
        assertThat(recorder.messages.size() + recorder.closes.size()).isLessThanOrEqualTo(body.length() + 1);
        assertThat(recorder.closes).allSatisfy(reason -> assertThat(reason).isIn("bad payload", "client closed", "slow client"));
    }

    /** A WebSocket text message is one packet; the server skips empty ones before this. */
    @Property(tries = 2000)
    void anyWebSocketPacketIsHandledOrACloseAndTheQueueStaysBounded(@ForAll("packets") List<String> packets, @ForAll boolean eio3) {
        Recorder recorder = new Recorder();
        EngineSession engine = new EngineSession("sid", eio3, 4, recorder);
        for (String packet : packets) {
            if (!packet.isEmpty()) {
                engine.onPacket(packet);
            }
        }
        assertThat(recorder.closes).allSatisfy(reason -> assertThat(reason).isIn("client closed", "slow client"));
        assertThat(recorder.closes).hasSizeLessThanOrEqualTo(1);
    }

    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.strings(),
                Arbitraries.of("\u001e", ":", "4", "42[\"a\"]", "2", "3", "1", "6", "0", "-1:", "99999999999:", "3:2ab"),
                Arbitraries.integers().between(-2, 40).map(n -> n + ":"));
        return piece.list().ofMaxSize(20).map(parts -> String.join("", parts));
    }

    @Provide
    Arbitrary<List<String>> packets() {
        Arbitrary<String> packet = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(30),
                Arbitraries.strings().ofMaxLength(10).map(s -> "2" + s),
                Arbitraries.strings().ofMaxLength(10).map(s -> "4" + s));
        return packet.list().ofMaxSize(30);
    }

    private static final class Recorder implements EngineSession.Listener {
        final List<String> messages = new ArrayList<>();
        final List<String> closes = new ArrayList<>();

        @Override
        public void onMessage(EngineSession session, String packet) {
            messages.add(packet);
        }

        @Override
        public void onClose(EngineSession session, String reason) {
            closes.add(reason);
        }
    }
}
