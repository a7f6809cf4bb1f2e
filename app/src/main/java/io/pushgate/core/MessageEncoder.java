package io.pushgate.core;

/**
 * Encodes the frames the core sends on its own: messages (once per stream per publish, never per
 * session) and the reset notice of a resume that came too late.
 */
public interface MessageEncoder {

    Frame encode(Message message);

    /** {@code {"type":"reset","cursor":…}}: history after the client's cursor is gone; reload state. */
    Frame reset(String cursor);

    /**
     * {@code {"type":"ping","cursor":…}}: a heartbeat that also moves a quiet client's cursor forward, so
     * a client that received nothing for longer than the history window still resumes without a reset.
     */
    Frame ping(String cursor);
}
