package io.pushgate.transport.poll;

import io.pushgate.core.Names;
import io.pushgate.core.Cursor;

import org.jspecify.annotations.Nullable;

/**
 * A poller's cursor: the position it has read up to and the client id of its session, as
 * {@code <position>~<clientId>}. Everything a poller needs to continue, in one opaque string.
 */
record PollCursor(Cursor position, @Nullable String clientId) {

    private static final char SEPARATOR = '~';

    String text() {
        return clientId == null ? position.text() : position.text() + SEPARATOR + clientId;
    }

    /** Accepts a bare message id too, so a client may poll from the last message id it saw. */
    static PollCursor parse(String text) {
        int at = text.indexOf(SEPARATOR);
        if (at < 0) {
            return new PollCursor(Cursor.parse(text), null);
        }
        String clientId = text.substring(at + 1);
        if (!Names.isValid(clientId)) {
            throw new IllegalArgumentException("cursor is malformed");
        }
        return new PollCursor(Cursor.parse(text.substring(0, at)), clientId);
    }
}
