package io.pushgate.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import io.pushgate.core.history.InMemoryHistory;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The rules of a client's own join, leave and publish, on a real node behind its LocalBroker. */
class ClientActionsTests {

    /** Each message as {@code event:data} so a test sees what a client would receive. */
    static final MessageEncoder ENCODER = new MessageEncoder() {
        @Override
        public Frame encode(Message message) {
            return new Frame((message.event() + ":" + message.dataJson()).getBytes(StandardCharsets.UTF_8), message.id(),
                    message.event());
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

    final PushNode node = new PushNode("n1", new Limits(16, 5, 2), ENCODER,
            new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC());
    final ClientActions actions = new ClientActions(node, new LocalBroker(node));

    @AfterEach
    void close() {
        node.close();
    }

    static ClientClaims claims(String uid, Set<String> groups, Set<String> publish) {
        return new ClientClaims(uid, groups, publish, Instant.now().plusSeconds(60));
    }

    Session connect(ClientClaims claims) {
        Session session = node.connect(claims, new RecordingTransport(), (s, cursor) -> Frame.control(new byte[0]), null);
        assertThat(session).isNotNull();
        return session;
    }

    /** The refusal the action ends with; fails the test when it goes through. */
    static ClientRefusal refusal(ThrowingCallable action) {
        Throwable thrown = catchThrowable(action);
        assertThat(thrown).as("a refusal").isInstanceOf(ClientRefusal.class);
        return (ClientRefusal) thrown;
    }

    /** The messages the session received after its welcome, waiting for {@code n} of them. */
    static List<String> messages(Session session, int n) {
        return session.frames().skip(1).take(n).map(f -> new String(f.json(), StandardCharsets.UTF_8))
                .collectList().block(Duration.ofSeconds(5));
    }

    @Test
    void aGroupTheTokenNamesCanBeJoinedAndItsMessagesThenArrive() throws ClientRefusal {
        Session session = connect(claims("u1", Set.of("room"), Set.of("room")));
        actions.leave(session, "room");
        assertThat(node.groupMembers("room")).isEmpty();

        actions.join(session, "room");

        assertThat(node.groupMembers("room")).containsEntry(session.clientId(), "u1");
        assertThat(actions.publish(session.claims(), "room", "chat", "1").block().sessions()).isEqualTo(1);
        assertThat(messages(session, 1)).containsExactly("chat:1");
    }

    @Test
    void joiningAGroupTheTokenDoesNotNameIsForbiddenAndChangesNothing() {
        Session session = connect(claims("u1", Set.of("room"), Set.of("other")));

        ClientRefusal refusal = refusal(() -> actions.join(session, "other"));

        assertThat(refusal.reason()).isEqualTo(ClientRefusal.Reason.FORBIDDEN);
        assertThat(refusal.code()).isEqualTo("forbidden");
        assertThat(refusal).hasMessage("the token does not allow joining this group");
        assertThat(session.groups()).containsExactly("room");
        assertThat(node.groupMembers("other")).isEmpty();
    }

    @Test
    void aSessionInAsManyGroupsAsTheLimitAllowsJoinsNoMore() throws ClientRefusal {
        Session session = connect(claims("u1", Set.of("a", "b", "c"), Set.of()));
        String outside = session.claims().groups().stream().filter(g -> !session.groups().contains(g)).findFirst().orElseThrow();
        assertThat(session.groups()).hasSize(2);

        ClientRefusal refusal = refusal(() -> actions.join(session, outside));

        assertThat(refusal.reason()).isEqualTo(ClientRefusal.Reason.TOO_MANY_GROUPS);
        assertThat(refusal.code()).isEqualTo("too_many_groups");
        assertThat(refusal).hasMessage("a session may be in at most 2 groups");
        assertThat(session.groups()).doesNotContain(outside);

        actions.join(session, session.groups().iterator().next()); // one it is in already: no refusal
    }

    @Test
    void aGroupNameThatIsMissingOrNotANameIsRefusedBeforeAnyOtherRule() {
        Session session = connect(claims("u1", Set.of("room"), Set.of("room")));
        for (String bad : new String[] {null, "", "two words", "x".repeat(Names.MAX_LENGTH + 1), "tab\there"}) {
            for (ClientRefusal refusal : List.of(
                    refusal(() -> actions.join(session, bad)),
                    refusal(() -> actions.leave(session, bad)),
                    refusal(() -> actions.publish(session.claims(), bad, null, null)))) {
                assertThat(refusal.reason()).as("group %s", bad).isEqualTo(ClientRefusal.Reason.BAD_NAME);
                assertThat(refusal.code()).isEqualTo("bad_frame");
                assertThat(refusal.field()).isEqualTo("group");
                assertThat(refusal).hasMessage("group must be 1-" + Names.MAX_LENGTH + " characters without spaces");
            }
        }
        assertThat(session.groups()).containsExactly("room");
    }

    @Test
    void publishingToAGroupTheTokensPublishClaimDoesNotNameIsForbiddenAndNothingIsSent() {
        Session member = connect(claims("u1", Set.of("room"), Set.of()));

        ClientRefusal refusal = refusal(() -> actions.publish(member.claims(), "room", "chat", "1"));

        assertThat(refusal.reason()).isEqualTo(ClientRefusal.Reason.FORBIDDEN);
        assertThat(refusal).hasMessage("the token does not allow publishing to this group");
        assertThat(node.stats().messagesIn()).isZero();
        assertThat(node.stats().messagesOut()).isZero();
    }

    @Test
    void aPublishWithoutEventOrDataIsEventMessageWithDataNull() throws ClientRefusal {
        Session member = connect(claims("u1", Set.of("room"), Set.of("room")));

        PublishResult result = actions.publish(member.claims(), "room", null, null).block();

        assertThat(result.sessions()).isEqualTo(1);
        assertThat(ClientActions.DEFAULT_EVENT).isEqualTo("message");
        assertThat(messages(member, 1)).containsExactly("message:null");
    }

    @Test
    void aPublishWhoseEventIsNotANameIsRefusedAndNothingIsSent() {
        Session member = connect(claims("u1", Set.of("room"), Set.of("room")));
        for (String bad : new String[] {"", "two words", "x".repeat(Names.MAX_LENGTH + 1)}) {
            ClientRefusal refusal = refusal(() -> actions.publish(member.claims(), "room", bad, "1"));

            assertThat(refusal.reason()).isEqualTo(ClientRefusal.Reason.BAD_NAME);
            assertThat(refusal.code()).isEqualTo("bad_frame");
            assertThat(refusal.field()).isEqualTo("event");
            assertThat(refusal).hasMessage("event must be 1-" + Names.MAX_LENGTH + " characters without spaces");
        }
        assertThat(node.stats().messagesIn()).isZero();
    }

    @Test
    void aSessionThatLeftAGroupNoLongerGetsItsMessagesAndLeavingAgainIsNoError() throws ClientRefusal {
        Session leaver = connect(claims("u1", Set.of("room"), Set.of("room")));
        Session stayer = connect(claims("u2", Set.of("room"), Set.of()));

        actions.leave(leaver, "room");
        actions.leave(leaver, "room");
        actions.leave(leaver, "never-joined");

        assertThat(node.groupMembers("room")).containsOnlyKeys(stayer.clientId());
        assertThat(actions.publish(leaver.claims(), "room", "chat", "2").block().sessions()).isEqualTo(1);
        assertThat(messages(stayer, 1)).containsExactly("chat:2");
        assertThat(leaver.groups()).isEmpty();
    }

    @Test
    void aClientIdIsOwnOnlyForTheTokensUid() {
        Session mine = connect(claims("u1", Set.of(), Set.of()));
        Session theirs = connect(claims("u2", Set.of(), Set.of()));

        assertThat(actions.ownSession(mine.claims(), mine.clientId())).isSameAs(mine);
        assertThat(actions.ownSession(mine.claims(), theirs.clientId())).isNull();
        assertThat(actions.ownSession(mine.claims(), "n1-unknown")).isNull();
    }
}
