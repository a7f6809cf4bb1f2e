package io.pushgate.broker.redis;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import io.pushgate.core.ClusterEntry;
import io.pushgate.core.ClusterEntry.SessionState;
import io.pushgate.core.Publication;
import io.pushgate.core.Target;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The log's text layout is the cluster's wire format: nodes of the old and the new build read each
 * other's entries, and the Lua scripts read the presence kinds. So each kind is pinned to its exact text
 * (written here with {@code |} for a field, {@code ,} for an item and {@code ;} for a record separator),
 * and must come back as the same entry.
 */
class LogCodecTests {

    final LogCodec codec = new LogCodec(new PublicationCodec(JsonMapper.builder().build()));

    static SessionState session(String clientId, String uid, String... groups) {
        return new SessionState(clientId, uid, new java.util.LinkedHashSet<>(List.of(groups)));
    }

    static Set<String> groups(String... groups) {
        return new java.util.LinkedHashSet<>(List.of(groups));
    }

    /** Separators spelled out, as the docs of {@link LogEntry} write them. */
    static String wire(String readable) {
        return readable.replace('|', LogEntry.FIELD).replace(',', LogEntry.ITEM).replace(';', LogEntry.RECORD);
    }

    static Stream<Arguments> everyKindButMessages() {
        return Stream.of(
                Arguments.of(new ClusterEntry.Connected("n1", session("n1-1", "u", "a", "b")), "c", "n1|n1-1|u|a,b"),
                Arguments.of(new ClusterEntry.Connected("n1", session("n1-1", "u")), "c", "n1|n1-1|u|"),
                Arguments.of(new ClusterEntry.Disconnected("n1", "n1-1"), "d", "n1|n1-1"),
                Arguments.of(new ClusterEntry.Joined("n1", "b", session("n1-1", "u", "a", "b")), "j", "n1|n1-1|b|u|a,b"),
                Arguments.of(new ClusterEntry.Left("n1", "b", session("n1-1", "u", "a")), "l", "n1|n1-1|b|u|a"),
                Arguments.of(new ClusterEntry.NodeGone("n1"), "x", "n1"),
                Arguments.of(new ClusterEntry.Restating("n1", 2), "y", "n1|2"),
                Arguments.of(new ClusterEntry.Restated("n1", List.of(session("n1-1", "u", "a"), session("n1-2", "v"))),
                        "s", "n1|n1-1|u|a;n1-2|v|"),
                Arguments.of(new ClusterEntry.Restated("n1", List.of()), "s", "n1|"),
                Arguments.of(new ClusterEntry.UidJoined("n1", "u", "b", groups("a", "b")), "J", "n1|u|b|a,b"),
                Arguments.of(new ClusterEntry.UidLeft("n1", "u", "b", groups()), "L", "n1|u|b|"),
                Arguments.of(new ClusterEntry.UidJoinRefused("n1", "u", "c", groups("a", "b", "c")), "R", "n1|u|c|a,b,c"),
                Arguments.of(new ClusterEntry.UidKicked("n1", "u"), "K", "n1|u"),
                Arguments.of(new ClusterEntry.UidBanned("u", 1_700_000_000_000L), "N", "u|1700000000000"),
                Arguments.of(new ClusterEntry.KickClient("n2", "n2-7"), "C", "n2|n2-7"),
                Arguments.of(new ClusterEntry.JoinClient("n2", "n2-7", "room"), "A", "n2|n2-7|room"),
                Arguments.of(new ClusterEntry.LeaveClient("n2", "n2-7", "room"), "B", "n2|n2-7|room"),
                Arguments.of(new ClusterEntry.HeldDelivered("n1", "u", 42), "o", "n1|u|42"),
                Arguments.of(new ClusterEntry.Connected("n1", new ClusterEntry.SessionState("n1-1", "u", groups("a"), "{\"k\":1}")),
                        "c", "n1|n1-1|u|a|{\"k\":1}"),
                Arguments.of(new ClusterEntry.Restated("n1", List.of(new ClusterEntry.SessionState("n1-1", "u", groups(), "{}"), session("n1-2", "v"))),
                        "s", "n1|n1-1|u||{};n1-2|v|"),
                Arguments.of(new ClusterEntry.SessionData("n1", new ClusterEntry.SessionState("n1-1", "u", groups("a", "b"), "{\"k\":[1]}")),
                        "D", "n1|n1-1|u|a,b|{\"k\":[1]}"),
                Arguments.of(new ClusterEntry.SessionData("n1", session("n1-1", "u")), "D", "n1|n1-1|u|"),
                Arguments.of(new ClusterEntry.SetSessionData("n2", "n1", "n1-1", "{\"k\":\"v\"}"), "E", "n2|n1|n1-1|{\"k\":\"v\"}"),
                Arguments.of(new ClusterEntry.SetSessionData("n2", "n1", "n1-1", null), "E", "n2|n1|n1-1|"));
    }

    @ParameterizedTest
    @MethodSource("everyKindButMessages")
    void everyKindTravelsAsItsExactTextAndComesBackTheSame(ClusterEntry entry, String kind, String readable) {
        LogEntry text = codec.encode(entry);

        assertThat(text.kind()).isEqualTo(kind);
        assertThat(text.value()).isEqualTo(wire(readable));
        assertThat(codec.decode(new LogEntry(7, kind, wire(readable)))).isEqualTo(entry);
    }

    @Test
    void aMessageTravelsAsItsTimeAndThePublicationAndComesBackWithTheLogsNumber() {
        Target target = new Target(List.of("u1", "u2"), List.of("room"), List.of("n1-1"), false, Set.of("n1-2"));
        ClusterEntry.Message sent = new ClusterEntry.Message(0, 1_700_000_000_123L,
                new Publication(target, "new_msg", "{\"text\":\"hi\"}", 30), List.of("u2"));

        LogEntry text = codec.encode(sent);

        assertThat(text.kind()).isEqualTo("m");
        assertThat(text.value()).startsWith("1700000000123" + LogEntry.FIELD + "{");
        ClusterEntry read = codec.decode(new LogEntry(99, text.kind(), text.value()));
        assertThat(read).isEqualTo(new ClusterEntry.Message(99, sent.ts(), sent.publication(), sent.holdFor()));
    }

    /** A group publish as the build before this one wrote it. */
    static final String OLDER_MESSAGE_JSON =
            "{\"u\":[],\"g\":[\"room\"],\"c\":[],\"a\":false,\"x\":[],\"e\":\"e\",\"d\":\"1\",\"t\":0,\"h\":[]}";

    @Test
    void aMessageOfAnOlderBuildIsRead() {
        ClusterEntry read = codec.decode(new LogEntry(5, "m", "12" + LogEntry.FIELD + OLDER_MESSAGE_JSON));

        assertThat(read).isEqualTo(new ClusterEntry.Message(5, 12, new Publication(Target.group("room"), "e", "1", 0), List.of()));
    }

    @Test
    void aSessionStateWithoutGroupsFromASessionHashHasNone() {
        assertThat(LogCodec.session("n1-1", "u")).isEqualTo(session("n1-1", "u"));
        assertThat(LogCodec.session("n1-1", wire("u|a,b"))).isEqualTo(session("n1-1", "u", "a", "b"));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("c", "n1|n1-1", "has 2 fields where it needs 3"),
                Arguments.of("d", "n1", "has 1 fields where it needs 2"),
                Arguments.of("j", "n1|n1-1|b", "has 3 fields where it needs 4"),
                Arguments.of("x", "", "names no node"),
                Arguments.of("s", "n1|n1-1", "restates a session without a uid"),
                Arguments.of("J", "n1|u", "has 2 fields where it needs 3"),
                Arguments.of("K", "n1", "has 1 fields where it needs 2"),
                Arguments.of("N", "u|soon", "has soon where a number belongs"),
                Arguments.of("C", "n2", "has 1 fields where it needs 2"),
                Arguments.of("A", "n2|n2-7", "has 2 fields where it needs 3"),
                Arguments.of("o", "n1|u|many", "has many where a number belongs"),
                Arguments.of("m", "12", "has 1 fields where it needs 2"),
                Arguments.of("m", "noon|" + OLDER_MESSAGE_JSON, "has noon where a number belongs"),
                Arguments.of("m", "12|not json", "holds no publication we can read"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void aMalformedValueIsRefusedNamingTheEntryAndWhy(String kind, String readable, String why) {
        assertThatThrownBy(() -> codec.decode(new LogEntry(3, kind, wire(readable))))
                .isInstanceOf(LogCodec.Malformed.class)
                .hasMessageStartingWith("log entry 3 of kind " + kind + " ")
                .hasMessageContaining(why);
    }

    @Test
    void anUnknownKindIsRefusedAsUnknownNotMalformed() {
        assertThatThrownBy(() -> codec.decode(new LogEntry(4, "Z", "whatever")))
                .isInstanceOf(LogCodec.UnknownKind.class)
                .isNotInstanceOf(LogCodec.Malformed.class)
                .hasMessageContaining("unknown kind Z");
    }

    @Test
    void aUidMembershipWithoutTheUidsGroupsIsReadWithNone() {
        assertThat(codec.decode(new LogEntry(1, "L", wire("n1|u|b")))).isEqualTo(new ClusterEntry.UidLeft("n1", "u", "b", Set.of()));
    }
}
