/**
 * Recent messages per stream (uid, group, client, {@code all}) and the cursors that name a position in
 * them, so a client that drops can resume without loss or duplicates.
 */
@NullMarked
package io.pushgate.core.history;

import org.jspecify.annotations.NullMarked;
