package io.pushgate.core;

/**
 * Encodes a message into the frame every session of one stream receives. Called once per stream per
 * publish, never per session.
 */
@FunctionalInterface
public interface MessageEncoder {

    Frame encode(Message message);
}
