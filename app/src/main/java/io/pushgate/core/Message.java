package io.pushgate.core;

/**
 * A published message as one stream carries it.
 *
 * @param id       the publish id, shared by every stream of one publish
 * @param event    the event name clients dispatch on, such as {@code new_msg}
 * @param dataJson the payload as JSON text, validated by whoever built the message; kept as text so
 *                 the core never parses it
 * @param to       the stream this copy travels through
 * @param ts       publish time, epoch milliseconds
 */
public record Message(String id, String event, String dataJson, Address to, long ts) {
}
