package io.pushgate.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The cursor's text form: what it writes, what it reads back, and what it refuses. */
class CursorTests {

    @Test
    void theTextIsEpochThenSequenceAndTimeInBase36() {
        assertThat(new Cursor("k2v9q", 47, 1767225600000L).text()).isEqualTo("k2v9q-1b-mjuohs00");
        assertThat(new Cursor("k2v9q", 0, 0).text()).isEqualTo("k2v9q-0-0");
        assertThat(new Cursor("e", 35, 36).toString()).as("toString is the text").isEqualTo("e-z-10");
    }

    @Test
    void theTextIsWhatLongToStringInBase36Writes() {
        long[] values = {0, 1, 9, 10, 35, 36, 37, 1295, 1296, 46655, 46656, 1767225600000L, Integer.MAX_VALUE,
                Long.MAX_VALUE / 36, Long.MAX_VALUE - 1, Long.MAX_VALUE};
        for (String epoch : new String[] {"k2v9q", "0", "é€x"}) {
            for (long seq : values) {
                for (long ts : values) {
                    assertThat(new Cursor(epoch, seq, ts).text()).as("%s %d %d", epoch, seq, ts)
                            .isEqualTo(epoch + "-" + Long.toString(seq, 36) + "-" + Long.toString(ts, 36));
                }
            }
        }
    }

    @Test
    void parsingTheTextGivesTheSameCursorBack() {
        for (Cursor cursor : new Cursor[] {new Cursor("k2v9q", 47, 1767225600000L), new Cursor("0", 0, 0),
                new Cursor("abc123", Long.MAX_VALUE, Long.MAX_VALUE)}) {
            assertThat(Cursor.parse(cursor.text())).isEqualTo(cursor);
        }
        assertThat(Cursor.parse("k2v9q-1b-mbx1c9k0")).isEqualTo(new Cursor("k2v9q", 47, Long.parseLong("mbx1c9k0", 36)));
    }

    @Test
    void malformedTextIsRefusedWithAMessageFitForA400() {
        String tooLong = "a".repeat(13) + "-" + "1".repeat(13) + "-" + "1".repeat(13) + "-" + "x".repeat(30);
        for (String text : new String[] {"", "k2v9q", "k2v9q-1b", "k2v9q-1b-mbx1c9k0-1", "-1b-mbx1c9k0", "k2v9q--mbx1c9k0",
                "k2v9q-1b-", "K2V9Q-1b-mbx1c9k0", "k2v9q-1B-mbx1c9k0", "k2v9q-+1-mbx1c9k0", "k2v9q--1-0", "k2v9q-1b-mbx 1c9k0",
                "k2v9q-é-1", "k2v9q-" + "z".repeat(14) + "-1", "k2v9q-1-" + "z".repeat(13), tooLong}) {
            assertThatIllegalArgumentException().as("'%s'", text).isThrownBy(() -> Cursor.parse(text))
                    .withMessage("cursor is malformed");
        }
        assertThatIllegalArgumentException().isThrownBy(() -> Cursor.parse(null)).withMessage("cursor is malformed");
    }

    @Test
    void aCursorCannotBeMadeThatItsTextCouldNotCarry() {
        assertThatIllegalArgumentException().isThrownBy(() -> new Cursor("", 1, 1));
        assertThatIllegalArgumentException().isThrownBy(() -> new Cursor("a-b", 1, 1));
        assertThatIllegalArgumentException().isThrownBy(() -> new Cursor("e", -1, 1));
        assertThatIllegalArgumentException().isThrownBy(() -> new Cursor("e", 1, -1));
    }

    @Test
    void cursorsAreValuesEqualByAllThreeParts() {
        assertThat(new Cursor("e", 1, 2)).isEqualTo(new Cursor("e", 1, 2)).hasSameHashCodeAs(new Cursor("e", 1, 2));
        assertThat(new Cursor("e", 1, 2)).isNotEqualTo(new Cursor("f", 1, 2))
                .isNotEqualTo(new Cursor("e", 2, 2)).isNotEqualTo(new Cursor("e", 1, 3));
    }
}
