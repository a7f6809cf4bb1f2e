package io.pushgate.core.history;

import io.pushgate.core.Replay;
import io.pushgate.core.Entry;
import io.pushgate.core.Cursor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pushgate.core.Address;
import io.pushgate.core.Frame;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The history against a reference model that keeps the same entries in plain lists: for any run of
 * appends (with and without ttl), holds, sweeps, clock steps, reads and takes, the history keeps what the
 * model keeps, no more than its caps, its indexes stay within twice what they index, a read answers
 * exactly the kept entries after the cursor, and it resets exactly when something after the cursor
 * was evicted (or, past the documented fallback, anything before the node-wide mark).
 */
class InMemoryHistoryPropertyTests {

    static final long WINDOW = 100;
    static final int SLACK = 64;
    static final List<Address> ADDRESSES = List.of(Address.ALL, Address.uid("a"), Address.uid("b"), Address.group("g"),
            Address.client("c"));
    static final List<String> UIDS = List.of("a", "b", "c");

    sealed interface Action permits Append, Hold, Sweep, Step, Read, Take, Drop {
    }

    /** One publish recorded in one or two streams (a uid and its group, say), with or without a long ttl. */
    record Append(int stream, int alsoStream, long ttl) implements Action {
    }

    record Hold(int uid, long ttl) implements Action {
    }

    record Sweep() implements Action {
    }

    record Step(long millis) implements Action {
    }

    /** A cursor at {@code back} publishes before the latest, timed when it was current (or at the next publish). */
    record Read(int streams, int back, boolean late, int limit) implements Action {
    }

    record Take(int uid) implements Action {
    }

    record Drop(int uid, int back) implements Action {
    }

    @Provide
    Arbitrary<List<Action>> runs() {
        Arbitrary<Long> ttl = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.just(0L)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(WINDOW + 1, 50 * WINDOW)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Duration.ofDays(7).toMillis())));
        Arbitrary<Action> action = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, Combinators.combine(Arbitraries.integers().between(0, ADDRESSES.size() - 1),
                        Arbitraries.integers().between(-3, ADDRESSES.size() - 1), ttl).as(Append::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(Arbitraries.integers().between(0, UIDS.size() - 1),
                        Arbitraries.longs().between(1, 50 * WINDOW)).as(Hold::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(new Sweep())),
                net.jqwik.api.Tuple.of(3, Arbitraries.longs().between(0, 2 * WINDOW).map(Step::new)),
                net.jqwik.api.Tuple.of(5, Combinators.combine(Arbitraries.integers().between(1, (1 << ADDRESSES.size()) - 1),
                        Arbitraries.integers().between(0, 12), Arbitraries.of(true, false),
                        Arbitraries.integers().between(1, 6)).as(Read::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, UIDS.size() - 1).map(Take::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(Arbitraries.integers().between(0, UIDS.size() - 1),
                        Arbitraries.integers().between(0, 6)).as(Drop::new)));
        return action.list().ofMinSize(1).ofMaxSize(200);
    }

    @Property(tries = 400)
    void keepsWhatTheModelKeepsWithinItsCaps(@ForAll("runs") List<Action> run,
                                             @ForAll @IntRange(min = 1, max = 4) int maxPerStream,
                                             @ForAll @IntRange(min = 1, max = 8) int maxTotal,
                                             @ForAll @IntRange(min = 1, max = 6) int maxHeld) {
        InMemoryHistoryTests.MutableClock clock = new InMemoryHistoryTests.MutableClock();
        InMemoryHistory history = new InMemoryHistory(Duration.ofMillis(WINDOW), maxPerStream, maxTotal, maxHeld, clock);
        Model model = new Model(maxPerStream, maxTotal, maxHeld);
        List<Long> tsOfSeq = new ArrayList<>(List.of(clock.millis())); // index: seq; seq 0 is the start
        long seq = 0;
        for (Action action : run) {
            long now = clock.millis();
            if (action instanceof Append a) {
                seq++;
                tsOfSeq.add(now);
                long keepUntil = now + Math.max(WINDOW, a.ttl());
                List<Integer> targets = a.alsoStream() < 0 || a.alsoStream() == a.stream()
                        ? List.of(a.stream()) : List.of(a.stream(), a.alsoStream());
                for (int t : targets) {
                    Entry e = new Entry(seq, now, keepUntil, new Frame(new byte[0], "m" + seq, "e"));
                    history.append(ADDRESSES.get(t), e);
                    model.append(ADDRESSES.get(t), e, now);
                }
                assertThat(history.indexSize()).isLessThanOrEqualTo((int) (2 * history.size() + SLACK));
            } else if (action instanceof Hold h) {
                seq++;
                tsOfSeq.add(now);
                Entry e = new Entry(seq, now, now + h.ttl(), new Frame(new byte[0], "h" + seq, "e"));
                history.holdForOffline(UIDS.get(h.uid()), e);
                model.hold(UIDS.get(h.uid()), e);
            } else if (action instanceof Sweep) {
                history.sweep();
                model.sweep(now);
                assertThat(history.indexSize()).isLessThanOrEqualTo((int) (2 * history.size() + SLACK));
                assertThat(history.streamCount()).isLessThanOrEqualTo((int) history.size() + history.emptiedCount());
            } else if (action instanceof Step s) {
                clock.millis += s.millis();
            } else if (action instanceof Read r) {
                long at = Math.max(0, seq - r.back());
                long ts = r.late() && at < seq ? tsOfSeq.get((int) at + 1) : tsOfSeq.get((int) at);
                Cursor cursor = new Cursor(history.epoch(), at, ts);
                List<Address> streams = new ArrayList<>();
                for (int i = 0; i < ADDRESSES.size(); i++) {
                    if ((r.streams() & (1 << i)) != 0) {
                        streams.add(ADDRESSES.get(i));
                    }
                }
                long mark = history.forgottenThrough();
                Replay replay = history.readAfter(streams, cursor, r.limit());
                Replay expected = model.readAfter(streams, cursor, r.limit(), now, mark);
                assertThat(replay.reset()).as("reset for %s after %s", streams, cursor).isEqualTo(expected.reset());
                assertThat(replay.entries()).as("entries for %s after %s", streams, cursor)
                        .containsExactlyElementsOf(expected.entries());
                assertThat(replay.more()).isEqualTo(expected.more());
                assertThat(mark).as("the node-wide mark only covers messages really evicted")
                        .isLessThanOrEqualTo(model.maxEvicted);
            } else if (action instanceof Take t) {
                assertThat(history.takeOffline(UIDS.get(t.uid())))
                    .containsExactlyElementsOf(model.take(UIDS.get(t.uid()), now));
            } else if (action instanceof Drop d) {
                long upTo = Math.max(0, seq - d.back());
                history.dropOffline(UIDS.get(d.uid()), upTo);
                model.drop(UIDS.get(d.uid()), upTo);
            }
            assertThat(history.size()).isEqualTo(model.size()).isLessThanOrEqualTo(maxTotal);
            assertThat(history.indexSize()).isLessThanOrEqualTo(2 * maxTotal + SLACK + 1);
            assertThat(history.emptiedCount()).isLessThanOrEqualTo(maxTotal);
            assertThat(history.heldCount()).isEqualTo(model.held.size()).isLessThanOrEqualTo(maxHeld);
            assertThat(history.heldIndexSize()).isLessThanOrEqualTo(2 * history.heldCount() + SLACK);
        }
    }

    /** The same retention rules on plain lists, with every eviction remembered forever. */
    static final class Model {
        final int maxPerStream;
        final int maxTotal;
        final int maxHeld;
        final Map<Address, List<Entry>> streams = new LinkedHashMap<>();
        /** Entries kept, in append order, with their stream: the node-wide cap takes the first. */
        final List<Map.Entry<Address, Entry>> order = new ArrayList<>();
        final Map<Address, List<Entry>> evicted = new HashMap<>();
        long maxEvicted = -1;
        final List<Map.Entry<String, Entry>> held = new ArrayList<>();

        Model(int maxPerStream, int maxTotal, int maxHeld) {
            this.maxPerStream = maxPerStream;
            this.maxTotal = maxTotal;
            this.maxHeld = maxHeld;
        }

        int size() {
            return streams.values().stream().mapToInt(List::size).sum();
        }

        void append(Address address, Entry e, long now) {
            streams.computeIfAbsent(address, k -> new ArrayList<>()).add(e);
            order.add(Map.entry(address, e));
            trim(address, now);
            while (size() > maxTotal) {
                Map.Entry<Address, Entry> oldest = order.remove(0);
                if (streams.get(oldest.getKey()).remove(oldest.getValue())) {
                    evict(oldest.getKey(), oldest.getValue());
                }
            }
        }

        /** The stream's own limit and expiry at its head, as an append or a read trims it. */
        void trim(Address address, long now) {
            List<Entry> s = streams.getOrDefault(address, List.of());
            while (!s.isEmpty()) {
                Entry head = s.get(0);
                if (s.size() > maxPerStream) {
                    s.remove(0);
                    evict(address, head);
                } else if (head.keepUntil() < now) {
                    s.remove(0);
                } else {
                    break;
                }
            }
            order.removeIf(o -> o.getKey().equals(address) && !s.contains(o.getValue()));
        }

        void evict(Address address, Entry e) {
            evicted.computeIfAbsent(address, k -> new ArrayList<>()).add(e);
            maxEvicted = Math.max(maxEvicted, e.seq());
        }

        void sweep(long now) {
            streams.values().forEach(s -> s.removeIf(e -> e.keepUntil() < now));
            order.removeIf(o -> o.getValue().keepUntil() < now);
            held.removeIf(h -> h.getValue().keepUntil() < now);
        }

        Replay readAfter(List<Address> addresses, Cursor after, int limit, long now, long forgottenThrough) {
            if (after.ts() < now - WINDOW || after.seq() < forgottenThrough) {
                return Replay.RESET;
            }
            List<Entry> found = new ArrayList<>();
            Set<Long> seen = new HashSet<>();
            for (Address address : addresses) {
                trim(address, now); // the history trims each stream it reads, up to the one that resets
                if (evicted.getOrDefault(address, List.of()).stream().anyMatch(e -> e.seq() > after.seq())) {
                    return Replay.RESET;
                }
                for (Entry e : streams.getOrDefault(address, List.of())) {
                    if (e.seq() > after.seq() && seen.add(e.seq())) {
                        found.add(e);
                    }
                }
            }
            found.sort(Comparator.comparingLong(Entry::seq));
            return found.size() > limit ? new Replay(found.subList(0, limit), false, true) : new Replay(found, false, false);
        }

        void hold(String uid, Entry e) {
            held.add(Map.entry(uid, e));
            List<Map.Entry<String, Entry>> mine = held.stream().filter(h -> h.getKey().equals(uid)).toList();
            if (mine.size() > maxPerStream) {
                held.remove(mine.get(0));
            }
            while (held.size() > maxHeld) {
                held.remove(0);
            }
        }

        List<Entry> take(String uid, long now) {
            List<Entry> taken = held.stream().filter(h -> h.getKey().equals(uid)).map(Map.Entry::getValue)
                    .filter(e -> e.keepUntil() >= now).toList();
            held.removeIf(h -> h.getKey().equals(uid));
            return taken;
        }

        void drop(String uid, long upTo) {
            held.removeIf(h -> h.getKey().equals(uid) && h.getValue().seq() <= upTo);
        }
    }
}
