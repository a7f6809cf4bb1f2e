/**
 * Compatibility adapters for the systems pushgate replaces (see {@code ../shared/seeds/}): the PHP
 * backends' push endpoints (web-msg-sender's HTTP push port, Workerman's Text port; Socket.IO clients
 * are a transport, in {@code io.pushgate.transport.socketio}). Each turns
 * the old wire format into a publish through the core's {@code Broker}, and is off unless switched on
 * ({@code pushgate.compat.*}).
 */
@NullMarked
package io.pushgate.compat;

import org.jspecify.annotations.NullMarked;
