package io.pushgate.broker.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One entry of the cluster log: a kind and a text value whose fields are separated by control
 * characters that no name, event or JSON text can hold (names refuse control characters, JSON escapes them).
 *
 * <p>The Lua scripts read the presence kinds to keep each node's session hash, so the layouts of
 * {@code c}, {@code d}, {@code j}, {@code l}, {@code x}, {@code s}, {@code D}, {@code J} and {@code L} are shared
 * with {@link Scripts}. {@link LogCodec} turns entries into the core's {@code ClusterEntry} values and
 * back; only it and the scripts know this layout.
 */
record LogEntry(long seq, String kind, String value) {

    static final char FIELD = '\u001f';
    static final char ITEM = '\u001e';
    static final char RECORD = '\u001d';

    /** A message: {@code ts FIELD json}. */
    static final String MESSAGE = "m";
    /**
     * Only in an append script call, never in the log: a message with an idempotency key, {@code key, ts,
     * sessions, online, offline}, then the {@code m} value. The script logs it as {@code m}, or not at all.
     */
    static final String IDEMPOTENT_MESSAGE = "M";
    /**
     * A session connected: {@code node, clientId, uid, groups}, then {@code data} when it has session data.
     * Every kind that carries a session's state ({@code c}, {@code j}, {@code l}, {@code s}, {@code D}) ends
     * it with its data that way.
     */
    static final String CONNECT = "c";
    /** {@code node, clientId}. */
    static final String DISCONNECT = "d";
    /** A session joined a group: {@code node, clientId, group, uid, groups}. */
    static final String JOIN = "j";
    static final String LEAVE = "l";
    /**
     * A node is gone: {@code node} when it says so itself (the append script reads it as the node's name),
     * {@code node, reaper} when another node's heartbeat reaped it.
     */
    static final String GONE = "x";
    /** A node restates its sessions next: {@code node, sessions}; the append script clears its session hash. */
    static final String RESTATING = "y";
    /** Part of a node's restated sessions: {@code node}, then records of {@code clientId, uid, groups}. */
    static final String RESTATE = "s";
    /** The backend put a uid in a group: {@code origin, uid, group, all groups of the uid}. */
    static final String JOIN_UID = "J";
    static final String LEAVE_UID = "L";
    /** {@code origin, uid}. */
    static final String KICK_UID = "K";
    /** A uid banned until a time: {@code uid, until epoch ms}; also kept in the {@code bans} hash for nodes that start later. */
    static final String BAN_UID = "N";
    /** To the node holding the client: {@code node, clientId}. */
    static final String KICK_CLIENT = "C";
    /** To the node holding the client: {@code node, clientId, group}. */
    static final String JOIN_CLIENT = "A";
    static final String LEAVE_CLIENT = "B";
    /** A {@code J} the append script refused (a membership cap was reached): the same value, applied by nobody. */
    static final String REFUSED_JOIN_UID = "R";
    /** A session's data changed on the node holding it: {@code node, clientId, uid, groups, data}. */
    static final String SESSION_DATA = "D";
    /** To the node holding the client: set its data, {@code origin, node, clientId, data} (empty for none). */
    static final String SET_SESSION_DATA = "E";
    /** Held messages were delivered: {@code origin, uid, up-to seq}. */
    static final String TOOK_HELD = "o";

    static String fields(String... fields) {
        return String.join(String.valueOf(FIELD), fields);
    }

    static String items(Collection<String> items) {
        return String.join(String.valueOf(ITEM), items);
    }

    static List<String> splitItems(String text) {
        return split(text, ITEM);
    }

    /** The value's fields; the last one keeps any further separators when {@code limit} is reached. */
    List<String> fields(int limit) {
        List<String> out = new ArrayList<>(limit);
        int start = 0;
        while (out.size() < limit - 1) {
            int end = value.indexOf(FIELD, start);
            if (end < 0) {
                break;
            }
            out.add(value.substring(start, end));
            start = end + 1;
        }
        out.add(value.substring(start));
        return out;
    }

    static List<String> split(String text, char separator) {
        List<String> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        int start = 0;
        int end;
        while ((end = text.indexOf(separator, start)) >= 0) {
            out.add(text.substring(start, end));
            start = end + 1;
        }
        out.add(text.substring(start));
        return out;
    }
}
