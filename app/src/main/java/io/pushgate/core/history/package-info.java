/**
 * The in-memory history: recent messages per stream (uid, group, client, {@code all}), bounded by age,
 * per-stream count and a node-wide total, so a client that drops can resume without loss or
 * duplicates. The seam it implements ({@link io.pushgate.core.History}) and the types it trades in
 * ({@link io.pushgate.core.Cursor}, {@link io.pushgate.core.Entry}, {@link io.pushgate.core.Replay})
 * belong to the core; this package depends on the core and never the reverse.
 */
@NullMarked
package io.pushgate.core.history;

import org.jspecify.annotations.NullMarked;
