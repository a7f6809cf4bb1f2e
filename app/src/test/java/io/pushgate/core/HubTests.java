package io.pushgate.core;

import java.time.Instant;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HubTests {

    final Hub hub = new Hub(new Limits(8, 10, 2));
    int next;

    Session session(String uid, String... groups) {
        ClientClaims claims = new ClientClaims(uid, Set.of(groups), Set.of(), Instant.now().plusSeconds(60));
        Session session = new Session("c" + next++, claims, new RecordingTransport(), 8, () -> { });
        assertThat(hub.register(session, s -> { })).isTrue();
        return session;
    }

    @Test
    void indexesByUidGroupAndClientAndForgetsOnUnregister() {
        Session a = session("a", "g1");
        Session b = session("b", "g1");

        assertThat(hub.sessionsOf("a")).containsExactly(a);
        assertThat(hub.members("g1")).containsExactlyInAnyOrder(a, b);
        assertThat(hub.client(a.clientId())).isSameAs(a);

        hub.unregister(a);
        hub.unregister(a);

        assertThat(hub.sessionsOf("a")).isEmpty();
        assertThat(hub.members("g1")).containsExactly(b);
        assertThat(hub.client(a.clientId())).isNull();
        assertThat(hub.uidCount()).isEqualTo(1);
        hub.unregister(b);
        assertThat(hub.groupCount()).isZero();
    }

    @Test
    void capsGroupsPerSession() {
        Session a = session("a", "g1", "g2", "g3");
        assertThat(a.groups()).hasSize(2);
        assertThat(hub.join(a, "g4")).isEqualTo(Hub.Join.TOO_MANY_GROUPS);
        assertThat(hub.leave(a, a.groups().iterator().next())).isTrue();
        assertThat(hub.join(a, "g4")).isEqualTo(Hub.Join.JOINED);
    }

    @Test
    void uidMembershipAppliesToLaterSessionsUntilRemoved() {
        Session first = session("a");
        assertThat(hub.joinUid("a", "vip")).isEqualTo(1);
        Session second = session("a");
        assertThat(second.groups()).containsExactly("vip");
        assertThat(hub.members("vip")).containsExactlyInAnyOrder(first, second);

        assertThat(hub.leaveUid("a", "vip")).isEqualTo(2);
        assertThat(session("a").groups()).isEmpty();
    }

    @Test
    void backendMembershipsStopAtTheirCapsAndAFullUidStillRejoinsItsOwnGroups() {
        Hub capped = new Hub(new Limits(8, 10, 2, 2, 2));
        capped.joinUidWithinLimits("u1", "g1");
        capped.joinUidWithinLimits("u1", "g2");
        capped.joinUidWithinLimits("u1", "g2");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(MembershipLimitException.class,
                () -> capped.joinUidWithinLimits("u1", "g3")).kind()).isEqualTo(MembershipLimitException.Kind.GROUPS_PER_UID);
        capped.joinUidWithinLimits("u2", "g1");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(MembershipLimitException.class,
                () -> capped.joinUidWithinLimits("u3", "g1")).kind()).isEqualTo(MembershipLimitException.Kind.MEMBERSHIP_UIDS);
        assertThat(capped.groupsOfUid("u1")).containsExactlyInAnyOrder("g1", "g2");
        assertThat(capped.groupsOfUid("u3")).isEmpty();
        capped.leaveUid("u2", "g1");
        capped.joinUidWithinLimits("u3", "g1");
        assertThat(capped.groupsOfUid("u3")).containsExactly("g1");
    }
}
