/**
 * Workerman push.php's page protocol at {@code /compat/workerman}: a plain WebSocket whose first text
 * frame is the uid, and every message for that uid (or for all) written as its {@code data} alone.
 */
@NullMarked
package io.pushgate.transport.workerman;

import org.jspecify.annotations.NullMarked;
