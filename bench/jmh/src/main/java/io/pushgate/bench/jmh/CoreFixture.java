package io.pushgate.bench.jmh;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.pushgate.codec.JsonFrames;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Limits;
import io.pushgate.core.PushNode;
import io.pushgate.core.Session;
import io.pushgate.core.TransportRole;
import io.pushgate.core.history.InMemoryHistory;

import tools.jackson.databind.json.JsonMapper;

/**
 * A node built as the core's tests build one (JSON frames, in-memory history, the system clock) with
 * {@code sessions} streaming sessions on a {@link CountingTransport}: session {@code i} has uid
 * {@code u<i>} and is in group {@code g<i / GROUP_SIZE>}, so the groups have {@link #GROUP_SIZE}
 * members each.
 */
final class CoreFixture implements AutoCloseable {

    static final int GROUP_SIZE = 100;
    static final long HEARTBEAT_MILLIS = 25_000;
    /** The payload every publish carries: about the size of a small chat message. */
    static final String DATA = "{\"text\":\"hello from the benchmark\",\"n\":1}";

    final JsonFrames frames = new JsonFrames(JsonMapper.builder().build());
    final PushNode node;
    final CountingTransport transport;
    final TransportRole.Greeting greeting = (session, cursor) ->
            frames.welcome(session.clientId(), session.uid(), HEARTBEAT_MILLIS, session.groups(), cursor);
    final List<Session> sessions = new ArrayList<>();

    /**
     * {@code -Dpushgate.shards=N} (through {@code -jvmArgsAppend}) sets the node's shard count; else the node's default.
     *
     * @param tracked whether {@code transport.frames()} will be asked (the transport then keeps every outlet)
     */
    CoreFixture(int sessionCount, boolean tracked) {
        transport = new CountingTransport(tracked);
        node = new PushNode("b", new Limits(1024, 10, 100), frames,
                new InMemoryHistory(Duration.ofMinutes(2), 100, Clock.systemUTC()), Clock.systemUTC(),
                Integer.getInteger("pushgate.shards", PushNode.defaultShards()));
        for (int i = 0; i < sessionCount; i++) {
            sessions.add(connect("u" + i, Set.of("g" + i / GROUP_SIZE)));
        }
    }

    static int groupCount(int sessionCount) {
        return (sessionCount + GROUP_SIZE - 1) / GROUP_SIZE;
    }

    static ClientClaims claims(String uid, Set<String> groups) {
        return new ClientClaims(uid, groups, Set.of(), Instant.now().plus(Duration.ofDays(1)));
    }

    Session connect(String uid, Set<String> groups) {
        return connect(claims(uid, groups));
    }

    Session connect(ClientClaims claims) {
        Session session = node.connect(claims, transport, greeting, null);
        if (session == null) {
            throw new IllegalStateException("the node refused " + claims.uid() + ": " + node.refusal(claims.uid()));
        }
        return session;
    }

    @Override
    public void close() {
        node.close();
    }
}
