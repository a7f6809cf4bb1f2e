package io.pushgate.transport.ws;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.ClientActions;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Disconnect;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Limits;
import io.pushgate.core.LocalBroker;
import io.pushgate.core.Names;
import io.pushgate.core.PushNode;
import io.pushgate.core.TokenVerifier;
import io.pushgate.core.history.InMemoryHistory;
import io.pushgate.web.Unauthenticated;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code /ws} protocol of one connection, driven frame by frame over an {@link EmbeddedChannel}
 * against a real node and LocalBroker: what a client sends, and what it gets back. Everything runs on
 * the calling thread (the embedded loop runs its tasks when asked), so no test waits.
 */
class WsConnectionTests {

    static final int MAX_BAD_FRAMES = 3;
    static final JsonMapper MAPPER = JsonMapper.builder().build();

    final JsonFrames frames = new JsonFrames(MAPPER);
    final PushNode node = new PushNode("t", new Limits(64, 10, 2), frames,
            new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC());
    /** Tokens by name: the token's text is the uid, and what it may join and publish to follows from it. */
    final TokenVerifier verifier = token -> switch (token) {
        case "member" -> claims("member", Set.of("room"), Set.of("room"));
        case "listener" -> claims("listener", Set.of("room"), Set.of());
        case "crowded" -> claims("crowded", Set.of("g1", "g2", "g3"), Set.of());
        default -> throw new InvalidTokenException("token is not valid");
    };
    final WsSettings settings = new WsSettings(Duration.ofSeconds(25), Duration.ofSeconds(10), 64 * 1024, 1000, 1000,
            MAX_BAD_FRAMES, Duration.ZERO, false, 100, 100);
    final WsConnection.Shared shared = new WsConnection.Shared(node, new ClientActions(node, new LocalBroker(node)), verifier,
            frames, MAPPER, settings, new DelayedDrains.Registry(Duration.ZERO), new Unauthenticated(100, 100),
            io.pushgate.core.ConnectProxy.NONE);
    final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        node.close();
    }

    static ClientClaims claims(String uid, Set<String> groups, Set<String> publish) {
        return new ClientClaims(uid, groups, publish, Instant.now().plusSeconds(60));
    }

    /** A connection just upgraded without a handshake token: it must send {@code auth} first. */
    EmbeddedChannel connect() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        WsConnection connection = new WsConnection(channel, shared,
                WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(settings.hardFrameLimit()).build());
        channel.pipeline().addLast(new WsFrameHandler(connection, settings.hardFrameLimit()));
        connection.open(null, null, null, null);
        return channel;
    }

    /** A connection that authenticated with {@code token}; its welcome and the auth's reply are read. */
    EmbeddedChannel authenticated(String token) {
        EmbeddedChannel channel = connect();
        send(channel, "{\"type\":\"auth\",\"token\":\"" + token + "\",\"ref\":1}");
        assertThat(received(channel)).extracting(f -> f.path("type").asString()).containsExactly("welcome", "reply");
        return channel;
    }

    static void send(EmbeddedChannel channel, String text) {
        channel.writeInbound(new TextWebSocketFrame(text));
        channel.runPendingTasks();
    }

    /** The frames written to the client so far, parsed; a close frame as {@code {"type":"ws-close",code,reason}}. */
    static List<JsonNode> received(EmbeddedChannel channel) {
        return receivedTexts(channel).stream().map(MAPPER::readTree).toList();
    }

    /** The frames written to the client so far, as it reads them. */
    static List<String> receivedTexts(EmbeddedChannel channel) {
        channel.runPendingTasks();
        List<String> texts = new ArrayList<>();
        Object frame;
        while ((frame = channel.readOutbound()) != null) {
            if (frame instanceof ByteBuf encoded) { // frames the outlet encoded itself (ChannelOutlet), read as a client does
                texts.addAll(decodedTexts(encoded));
                continue;
            }
            try {
                if (frame instanceof TextWebSocketFrame text) {
                    texts.add(text.text());
                } else if (frame instanceof CloseWebSocketFrame close) {
                    texts.add(MAPPER.createObjectNode().put("type", "ws-close").put("code", close.statusCode())
                            .put("reason", close.reasonText()).toString());
                }
            } finally {
                ReferenceCountUtil.release(frame);
            }
        }
        return texts;
    }

    /** The text frames in bytes the server wrote (unmasked), decoded by a client's decoder; other frames skipped. */
    static List<String> decodedTexts(ByteBuf encoded) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
        client.writeInbound(encoded);
        List<String> texts = new ArrayList<>();
        Object in;
        while ((in = client.readInbound()) != null) {
            if (in instanceof TextWebSocketFrame text) {
                texts.add(text.text());
            }
            ReferenceCountUtil.release(in);
        }
        client.finishAndReleaseAll();
        return texts;
    }

    static JsonNode only(List<JsonNode> frames) {
        assertThat(frames).hasSize(1);
        return frames.get(0);
    }

    static void assertError(JsonNode reply, long ref, String code, String message) {
        assertThat(reply.path("type").asString()).isEqualTo("reply");
        assertThat(reply.path("ref").asLong()).isEqualTo(ref);
        assertThat(reply.path("ok").asBoolean()).isFalse();
        assertThat(reply.path("error").path("code").asString()).isEqualTo(code);
        assertThat(reply.path("error").path("message").asString()).isEqualTo(message);
    }

    static void assertOk(JsonNode reply, long ref) {
        assertThat(reply.path("type").asString()).isEqualTo("reply");
        assertThat(reply.path("ref").asLong()).isEqualTo(ref);
        assertThat(reply.path("ok").asBoolean()).isTrue();
    }

    @Test
    void anAuthFrameWithAGoodTokenIsAnsweredWithTheWelcomeThenItsReply() {
        EmbeddedChannel channel = connect();

        send(channel, "{\"type\":\"auth\",\"token\":\"member\",\"ref\":7}");

        List<JsonNode> frames = received(channel);
        assertThat(frames).hasSize(2);
        JsonNode welcome = frames.get(0);
        assertThat(welcome.path("type").asString()).isEqualTo("welcome");
        assertThat(welcome.path("uid").asString()).isEqualTo("member");
        assertThat(welcome.path("clientId").asString()).startsWith("t-");
        assertThat(welcome.path("groups").get(0).asString()).isEqualTo("room");
        assertThat(welcome.path("heartbeat").asLong()).isEqualTo(25_000);
        assertOk(frames.get(1), 7);
        assertThat(node.sessionsOfUid("member")).containsExactly(welcome.path("clientId").asString());
    }

    @Test
    void anAuthFrameWithABadTokenClosesWith4401() {
        EmbeddedChannel channel = connect();

        send(channel, "{\"type\":\"auth\",\"token\":\"forged\"}");

        JsonNode close = only(received(channel));
        assertThat(close.path("type").asString()).isEqualTo("ws-close");
        assertThat(close.path("code").asInt()).isEqualTo(4401);
        assertThat(close.path("reason").asString()).isEqualTo("token is not valid");
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void framesOtherThanAuthOrPingBeforeAuthenticationAreRefusedAsUnauthorized() {
        EmbeddedChannel channel = connect();

        send(channel, "{\"type\":\"join\",\"group\":\"room\",\"ref\":2}");
        assertError(only(received(channel)), 2, "unauthorized", "send an auth frame first");
        send(channel, "{\"type\":\"publish\",\"group\":\"room\",\"ref\":3}");
        assertError(only(received(channel)), 3, "unauthorized", "send an auth frame first");

        assertThat(channel.isActive()).isTrue();
        assertThat(node.groupMembers("room")).isEmpty();
    }

    @Test
    void aPingIsAnsweredWithAPongBeforeAndAfterAuthentication() {
        EmbeddedChannel channel = connect();
        send(channel, "{\"type\":\"ping\",\"ref\":4}");
        assertThat(received(channel)).extracting(f -> f.path("type").asString()).containsExactly("pong", "reply");

        send(channel, "{\"type\":\"auth\",\"token\":\"member\"}");
        received(channel);
        send(channel, "{\"type\":\"ping\",\"ref\":5}");

        List<JsonNode> frames = received(channel);
        assertThat(frames).extracting(f -> f.path("type").asString()).containsExactly("pong", "reply");
        assertOk(frames.get(1), 5);
    }

    @Test
    void aFrameThatIsNotJsonOrNotAFrameGetsAnErrorAndTheConnectionStays() {
        EmbeddedChannel channel = authenticated("member");

        send(channel, "{not json");
        JsonNode notJson = only(received(channel));
        assertThat(notJson.path("error").path("code").asString()).isEqualTo("bad_json");
        assertThat(notJson.path("error").path("message").asString()).isEqualTo("frame is not valid JSON");

        send(channel, "{\"type\":3,\"ref\":8}");
        assertError(only(received(channel)), 8, "bad_frame", "type must be a string");
        send(channel, "{\"type\":\"ping\"}"); // a good frame between: the bad ones are not consecutive
        received(channel);
        send(channel, "{\"type\":\"join\",\"group\":\"two words\",\"ref\":9}");
        assertError(only(received(channel)), 9, "bad_frame", "group must be 1-" + Names.MAX_LENGTH + " characters without spaces");

        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void enoughBadFramesInARowCloseTheConnectionWith4400() {
        EmbeddedChannel channel = authenticated("member");

        for (int i = 1; i < MAX_BAD_FRAMES; i++) {
            send(channel, "[]");
            assertThat(only(received(channel)).path("error").path("code").asString()).isEqualTo("bad_json");
        }
        assertThat(channel.isActive()).isTrue();
        send(channel, "[]");

        List<JsonNode> frames = received(channel);
        assertThat(frames).extracting(f -> f.path("type").asString()).containsExactly("reply", "ws-close");
        assertThat(frames.get(1).path("code").asInt()).isEqualTo(Disconnect.BAD_FRAMES.code());
        assertThat(frames.get(1).path("reason").asString()).isEqualTo(Disconnect.BAD_FRAMES.reason());
        assertThat(channel.isActive()).isFalse();
        assertThat(node.sessionsOfUid("member")).isEmpty();
    }

    @Test
    void joiningAGroupTheTokenDoesNotNameIsForbidden() {
        EmbeddedChannel channel = authenticated("listener");

        send(channel, "{\"type\":\"join\",\"group\":\"elsewhere\",\"ref\":10}");

        assertError(only(received(channel)), 10, "forbidden", "the token does not allow joining this group");
        assertThat(node.groupMembers("elsewhere")).isEmpty();
    }

    @Test
    void joiningPastTheGroupLimitIsRefusedAsTooManyGroups() {
        EmbeddedChannel channel = connect();
        send(channel, "{\"type\":\"auth\",\"token\":\"crowded\"}");
        JsonNode welcome = received(channel).get(0);
        List<String> joined = new ArrayList<>();
        welcome.path("groups").forEach(g -> joined.add(g.asString()));
        assertThat(joined).hasSize(2);
        String outside = Set.of("g1", "g2", "g3").stream().filter(g -> !joined.contains(g)).findFirst().orElseThrow();

        send(channel, "{\"type\":\"join\",\"group\":\"" + outside + "\",\"ref\":11}");

        assertError(only(received(channel)), 11, "too_many_groups", "a session may be in at most 2 groups");
        assertThat(node.groupMembers(outside)).isEmpty();
    }

    @Test
    void publishingWithoutThePublishClaimIsForbiddenAndReachesNobody() {
        EmbeddedChannel listener = authenticated("listener");
        EmbeddedChannel member = authenticated("member");

        send(listener, "{\"type\":\"publish\",\"group\":\"room\",\"data\":1,\"ref\":12}");

        assertError(only(received(listener)), 12, "forbidden", "the token does not allow publishing to this group");
        assertThat(received(member)).isEmpty();
    }

    @Test
    void aPublishReachesTheSessionsInTheGroupAsTheClientWroteIt() {
        EmbeddedChannel publisher = authenticated("member");
        EmbeddedChannel listener = authenticated("listener");

        send(publisher, "{\"type\":\"publish\",\"group\":\"room\",\"event\":\"chat\",\"data\":{\"n\":1.50},\"ref\":13}");

        List<String> texts = receivedTexts(listener);
        assertThat(texts).hasSize(1);
        assertThat(texts.get(0)).contains("\"data\":{\"n\":1.50}"); // the client's own text, not re-serialised
        JsonNode message = MAPPER.readTree(texts.get(0));
        assertThat(message.path("type").asString()).isEqualTo("message");
        assertThat(message.path("event").asString()).isEqualTo("chat");
        assertThat(message.path("to").path("group").asString()).isEqualTo("room");
        List<JsonNode> own = received(publisher); // a member itself: the message, and the publish's reply
        assertThat(own).extracting(f -> f.path("type").asString()).containsExactlyInAnyOrder("message", "reply");
        JsonNode reply = own.stream().filter(f -> f.path("type").asString().equals("reply")).findFirst().orElseThrow();
        assertOk(reply, 13);
        assertThat(reply.path("result").path("sessions").asInt()).isEqualTo(2);
        assertThat(reply.path("result").path("id").asString()).isEqualTo(message.path("id").asString());
    }

    @Test
    void aPublishWithoutAnEventIsEventMessage() {
        EmbeddedChannel publisher = authenticated("member");

        send(publisher, "{\"type\":\"publish\",\"group\":\"room\"}");

        JsonNode message = only(received(publisher));
        assertThat(message.path("event").asString()).isEqualTo("message");
        assertThat(message.path("data").isNull()).isTrue();
    }

    @Test
    void aSessionThatLeftAGroupGetsItsMessagesAgainOnlyOnceItJoinsAgain() {
        EmbeddedChannel publisher = authenticated("member");
        EmbeddedChannel listener = authenticated("listener");

        send(listener, "{\"type\":\"leave\",\"group\":\"room\",\"ref\":14}");
        assertOk(only(received(listener)), 14);
        send(publisher, "{\"type\":\"publish\",\"group\":\"room\",\"data\":\"while away\"}");
        assertThat(received(listener)).isEmpty();

        send(listener, "{\"type\":\"join\",\"group\":\"room\",\"ref\":15}");
        assertOk(only(received(listener)), 15);
        send(publisher, "{\"type\":\"publish\",\"group\":\"room\",\"data\":\"back\"}");
        assertThat(only(received(listener)).path("data").asString()).isEqualTo("back");
    }
}
