package io.pushgate.broker.redis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.pushgate.core.ClusterEntry;

/**
 * Turns {@link ClusterEntry} values into the log's text entries ({@link LogEntry}: a kind letter and a
 * value of separated fields) and back. The text is the cluster's wire format: nodes of older and newer
 * builds read each other's entries, and the Lua scripts read the presence kinds, so the layout is
 * exactly the one {@link LogEntry} documents.
 *
 * <p>Decoding refuses what it cannot read with a {@link Malformed} naming the entry, and a kind it does
 * not know with an {@link UnknownKind} (a newer node may write kinds an older one skips).
 */
final class LogCodec {

    /** A log entry whose value does not have the fields its kind needs. */
    static final class Malformed extends IllegalArgumentException {
        Malformed(LogEntry entry, String why) {
            super("log entry " + entry.seq() + " of kind " + entry.kind() + " " + why);
        }
    }

    /** A log entry of a kind this build does not know. */
    static final class UnknownKind extends IllegalArgumentException {
        UnknownKind(LogEntry entry) {
            super("log entry " + entry.seq() + " has the unknown kind " + entry.kind());
        }
    }

    private final PublicationCodec publications;

    LogCodec(PublicationCodec publications) {
        this.publications = publications;
    }

    /** The entry as it travels; its sequence number is the message's, 0 for other kinds (the log numbers them). */
    LogEntry encode(ClusterEntry entry) {
        if (entry instanceof ClusterEntry.Message m) {
            return new LogEntry(m.seq(), LogEntry.MESSAGE,
                    LogEntry.fields(Long.toString(m.ts()), publications.encode(m.publication(), m.holdFor())));
        }
        if (entry instanceof ClusterEntry.Connected c) {
            return text(LogEntry.CONNECT, LogEntry.fields(c.node(), c.session().clientId(), state(c.session())));
        }
        if (entry instanceof ClusterEntry.Disconnected d) {
            return text(LogEntry.DISCONNECT, LogEntry.fields(d.node(), d.clientId()));
        }
        if (entry instanceof ClusterEntry.Joined j) {
            return text(LogEntry.JOIN, LogEntry.fields(j.node(), j.session().clientId(), j.group(), state(j.session())));
        }
        if (entry instanceof ClusterEntry.Left l) {
            return text(LogEntry.LEAVE, LogEntry.fields(l.node(), l.session().clientId(), l.group(), state(l.session())));
        }
        if (entry instanceof ClusterEntry.SessionData d) {
            return text(LogEntry.SESSION_DATA, LogEntry.fields(d.node(), d.session().clientId(), state(d.session())));
        }
        if (entry instanceof ClusterEntry.SetSessionData s) {
            return text(LogEntry.SET_SESSION_DATA, LogEntry.fields(s.origin(), s.node(), s.clientId(), s.data() == null ? "" : s.data()));
        }
        if (entry instanceof ClusterEntry.NodeGone g) {
            return text(LogEntry.GONE, g.teller().equals(g.node()) ? g.node() : LogEntry.fields(g.node(), g.teller()));
        }
        if (entry instanceof ClusterEntry.Restating r) {
            return text(LogEntry.RESTATING, LogEntry.fields(r.node(), Integer.toString(r.sessions())));
        }
        if (entry instanceof ClusterEntry.Restated r) {
            List<String> records = new ArrayList<>(r.sessions().size());
            for (ClusterEntry.SessionState s : r.sessions()) {
                records.add(s.clientId() + LogEntry.FIELD + state(s));
            }
            return text(LogEntry.RESTATE, r.node() + LogEntry.FIELD + String.join(String.valueOf(LogEntry.RECORD), records));
        }
        if (entry instanceof ClusterEntry.UidJoined j) {
            return text(LogEntry.JOIN_UID, LogEntry.fields(j.origin(), j.uid(), j.group(), LogEntry.items(j.groupsOfUid())));
        }
        if (entry instanceof ClusterEntry.UidLeft l) {
            return text(LogEntry.LEAVE_UID, LogEntry.fields(l.origin(), l.uid(), l.group(), LogEntry.items(l.groupsOfUid())));
        }
        if (entry instanceof ClusterEntry.UidJoinRefused r) {
            return text(LogEntry.REFUSED_JOIN_UID, LogEntry.fields(r.origin(), r.uid(), r.group(), LogEntry.items(r.groupsOfUid())));
        }
        if (entry instanceof ClusterEntry.UidKicked k) {
            return text(LogEntry.KICK_UID, LogEntry.fields(k.origin(), k.uid()));
        }
        if (entry instanceof ClusterEntry.UidBanned b) {
            return text(LogEntry.BAN_UID, LogEntry.fields(b.uid(), Long.toString(b.untilMillis())));
        }
        if (entry instanceof ClusterEntry.KickClient k) {
            return text(LogEntry.KICK_CLIENT, LogEntry.fields(k.node(), k.clientId()));
        }
        if (entry instanceof ClusterEntry.JoinClient j) {
            return text(LogEntry.JOIN_CLIENT, LogEntry.fields(j.node(), j.clientId(), j.group()));
        }
        if (entry instanceof ClusterEntry.LeaveClient l) {
            return text(LogEntry.LEAVE_CLIENT, LogEntry.fields(l.node(), l.clientId(), l.group()));
        }
        if (entry instanceof ClusterEntry.HeldDelivered h) {
            return text(LogEntry.TOOK_HELD, LogEntry.fields(h.origin(), h.uid(), Long.toString(h.upToSeq())));
        }
        throw new IllegalArgumentException("no log layout for " + entry);
    }

    /**
     * The entry's meaning. The last field of a kind keeps any separators after it, as every build has read
     * them, so an older node ignores fields a newer one appends to uid memberships.
     *
     * @throws UnknownKind when the kind is not one this build knows
     * @throws Malformed   when the value lacks a field its kind needs or a number does not parse
     */
    ClusterEntry decode(LogEntry entry) {
        switch (entry.kind()) {
            case LogEntry.MESSAGE -> {
                List<String> f = fields(entry, 2, 2);
                long ts = number(entry, f.get(0));
                PublicationCodec.Decoded decoded;
                try {
                    decoded = publications.decode(f.get(1));
                } catch (RuntimeException e) {
                    throw (Malformed) new Malformed(entry, "holds no publication we can read: " + e.getMessage()).initCause(e);
                }
                return new ClusterEntry.Message(entry.seq(), ts, decoded.publication(), decoded.holdFor());
            }
            case LogEntry.CONNECT -> {
                List<String> f = fields(entry, 3, 3);
                return new ClusterEntry.Connected(f.get(0), session(f.get(1), f.get(2)));
            }
            case LogEntry.SESSION_DATA -> {
                List<String> f = fields(entry, 3, 3);
                return new ClusterEntry.SessionData(f.get(0), session(f.get(1), f.get(2)));
            }
            case LogEntry.SET_SESSION_DATA -> {
                List<String> f = fields(entry, 4, 4);
                return new ClusterEntry.SetSessionData(f.get(0), f.get(1), f.get(2), f.get(3).isEmpty() ? null : f.get(3));
            }
            case LogEntry.DISCONNECT -> {
                List<String> f = fields(entry, 2, 2);
                return new ClusterEntry.Disconnected(f.get(0), f.get(1));
            }
            case LogEntry.JOIN, LogEntry.LEAVE -> {
                List<String> f = fields(entry, 4, 4);
                ClusterEntry.SessionState session = session(f.get(1), f.get(3));
                return entry.kind().equals(LogEntry.JOIN)
                        ? new ClusterEntry.Joined(f.get(0), f.get(2), session)
                        : new ClusterEntry.Left(f.get(0), f.get(2), session);
            }
            case LogEntry.GONE -> {
                if (entry.value().isEmpty()) {
                    throw new Malformed(entry, "names no node");
                }
                List<String> f = fields(entry, 2, 1);
                return new ClusterEntry.NodeGone(f.get(0), f.size() > 1 ? f.get(1) : f.get(0));
            }
            case LogEntry.RESTATING -> {
                List<String> f = fields(entry, 2, 2);
                return new ClusterEntry.Restating(f.get(0), (int) number(entry, f.get(1)));
            }
            case LogEntry.RESTATE -> {
                List<String> f = fields(entry, 2, 2);
                List<ClusterEntry.SessionState> sessions = new ArrayList<>();
                for (String record : LogEntry.split(f.get(1), LogEntry.RECORD)) {
                    int cut = record.indexOf(LogEntry.FIELD);
                    if (cut < 0) {
                        throw new Malformed(entry, "restates a session without a uid: " + record);
                    }
                    sessions.add(session(record.substring(0, cut), record.substring(cut + 1)));
                }
                return new ClusterEntry.Restated(f.get(0), sessions);
            }
            case LogEntry.JOIN_UID, LogEntry.LEAVE_UID, LogEntry.REFUSED_JOIN_UID -> {
                List<String> f = fields(entry, 4, 3);
                Set<String> all = f.size() > 3 ? new LinkedHashSet<>(LogEntry.splitItems(f.get(3))) : Set.of();
                return switch (entry.kind()) {
                    case LogEntry.JOIN_UID -> new ClusterEntry.UidJoined(f.get(0), f.get(1), f.get(2), all);
                    case LogEntry.LEAVE_UID -> new ClusterEntry.UidLeft(f.get(0), f.get(1), f.get(2), all);
                    default -> new ClusterEntry.UidJoinRefused(f.get(0), f.get(1), f.get(2), all);
                };
            }
            case LogEntry.KICK_UID -> {
                List<String> f = fields(entry, 2, 2);
                return new ClusterEntry.UidKicked(f.get(0), f.get(1));
            }
            case LogEntry.BAN_UID -> {
                List<String> f = fields(entry, 2, 2);
                return new ClusterEntry.UidBanned(f.get(0), number(entry, f.get(1)));
            }
            case LogEntry.KICK_CLIENT -> {
                List<String> f = fields(entry, 2, 2);
                return new ClusterEntry.KickClient(f.get(0), f.get(1));
            }
            case LogEntry.JOIN_CLIENT, LogEntry.LEAVE_CLIENT -> {
                List<String> f = fields(entry, 3, 3);
                return entry.kind().equals(LogEntry.JOIN_CLIENT)
                        ? new ClusterEntry.JoinClient(f.get(0), f.get(1), f.get(2))
                        : new ClusterEntry.LeaveClient(f.get(0), f.get(1), f.get(2));
            }
            case LogEntry.TOOK_HELD -> {
                List<String> f = fields(entry, 3, 3);
                return new ClusterEntry.HeldDelivered(f.get(0), f.get(1), number(entry, f.get(2)));
            }
            default -> throw new UnknownKind(entry);
        }
    }

    /**
     * A session as a node's session hash holds it ({@code uid FIELD groups}, then {@code FIELD data} when it
     * has session data), which is also how {@code c}, {@code j}, {@code l}, {@code s} and {@code D} entries
     * carry it. A state without groups has none.
     */
    static ClusterEntry.SessionState session(String clientId, String state) {
        int cut = state.indexOf(LogEntry.FIELD);
        String uid = cut < 0 ? state : state.substring(0, cut);
        if (cut < 0) {
            return new ClusterEntry.SessionState(clientId, uid, Set.of());
        }
        int dataCut = state.indexOf(LogEntry.FIELD, cut + 1);
        String groups = dataCut < 0 ? state.substring(cut + 1) : state.substring(cut + 1, dataCut);
        String data = dataCut < 0 || dataCut == state.length() - 1 ? null : state.substring(dataCut + 1);
        return new ClusterEntry.SessionState(clientId, uid, new LinkedHashSet<>(LogEntry.splitItems(groups)), data);
    }

    private static String state(ClusterEntry.SessionState session) {
        String state = session.uid() + LogEntry.FIELD + LogEntry.items(session.groups());
        return session.data() == null ? state : state + LogEntry.FIELD + session.data();
    }

    private static LogEntry text(String kind, String value) {
        return new LogEntry(0, kind, value);
    }

    private static List<String> fields(LogEntry entry, int limit, int needed) {
        List<String> f = entry.fields(limit);
        if (f.size() < needed) {
            throw new Malformed(entry, "has " + f.size() + " fields where it needs " + needed + ": " + printable(entry.value()));
        }
        return f;
    }

    private static long number(LogEntry entry, String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw (Malformed) new Malformed(entry, "has " + printable(text) + " where a number belongs").initCause(e);
        }
    }

    /** Separators shown as they are written in {@link LogEntry}'s docs, so a log line stays one line. */
    private static String printable(String text) {
        return text.replace(LogEntry.FIELD, '|').replace(LogEntry.ITEM, ',').replace(LogEntry.RECORD, ';');
    }
}
