package io.pushgate.core;

import java.util.HashSet;
import java.util.Set;

/**
 * Copy-on-write for the small sets an index keeps per session or per uid: a session's groups, a uid's
 * sessions. Every changed set is a new immutable one, published by replacing the old, so readers
 * iterate a consistent snapshot without locks, and one of these costs a few dozen bytes where a
 * concurrent set costs a few hundred; with tens of thousands of sessions per node that is most of a
 * session's memory. Changes are O(size), so this is only for sets kept small by a limit (groups per
 * session, sessions per uid), never for a group's members.
 */
final class SmallSets {

    private SmallSets() {
    }

    /** {@code set} with {@code element} added; the same instance when it is already there. */
    static <T> Set<T> with(Set<T> set, T element) {
        if (set.contains(element)) {
            return set;
        }
        return switch (set.size()) {
            case 0 -> Set.of(element);
            case 1 -> Set.of(set.iterator().next(), element);
            default -> {
                Set<T> grown = new HashSet<>(set);
                grown.add(element);
                yield Set.copyOf(grown);
            }
        };
    }

    /** {@code set} without {@code element}; the same instance when it was not there. */
    static <T> Set<T> without(Set<T> set, T element) {
        if (!set.contains(element)) {
            return set;
        }
        if (set.size() == 1) {
            return Set.of();
        }
        Set<T> shrunk = new HashSet<>(set);
        shrunk.remove(element);
        return Set.copyOf(shrunk);
    }
}
