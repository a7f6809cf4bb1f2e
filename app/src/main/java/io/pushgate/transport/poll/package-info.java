/**
 * Long-polling at {@code /poll}: each poll returns what came after its cursor, or waits for it. The
 * cursor is the only state a poller keeps, so a lost answer is simply asked for again.
 */
@NullMarked
package io.pushgate.transport.poll;

import org.jspecify.annotations.NullMarked;
