package io.pushgate.core;

import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The copy-on-write sets behind a session's groups and a uid's sessions: readers keep their snapshot. */
class SmallSetsTests {

    @Test
    void addingMakesANewSetAndLeavesTheOldOneAsItWas() {
        Set<String> one = SmallSets.with(Set.of(), "a");
        Set<String> two = SmallSets.with(one, "b");
        Set<String> three = SmallSets.with(two, "c");

        assertThat(one).containsExactly("a");
        assertThat(two).containsExactlyInAnyOrder("a", "b");
        assertThat(three).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(SmallSets.with(three, "b")).isSameAs(three);
        assertThat(three).isUnmodifiable();
    }

    @Test
    void removingMakesANewSetDownToEmptyAndLeavesTheOldOneAsItWas() {
        Set<String> three = Set.of("a", "b", "c");

        Set<String> two = SmallSets.without(three, "b");
        Set<String> one = SmallSets.without(two, "a");
        Set<String> none = SmallSets.without(one, "c");

        assertThat(three).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(two).containsExactlyInAnyOrder("a", "c");
        assertThat(one).containsExactly("c");
        assertThat(none).isEmpty();
        assertThat(SmallSets.without(two, "z")).isSameAs(two);
        assertThat(two).isUnmodifiable();
    }
}
