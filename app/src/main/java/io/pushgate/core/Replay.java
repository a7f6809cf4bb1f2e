package io.pushgate.core;

import java.util.List;

/**
 * What a resume gets: the missed entries in publish order, or a reset when some of them are gone.
 *
 * @param entries missed entries, oldest first, each publish once
 * @param reset   the cursor is older than the window or something after it was evicted; the client
 *                must reload its state instead of trusting the stream
 * @param more    the answer stopped at the limit; ask again after the last entry
 */
public record Replay(List<Entry> entries, boolean reset, boolean more) {

    public static final Replay RESET = new Replay(List.of(), true, false);
}
