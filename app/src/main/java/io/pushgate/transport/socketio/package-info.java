/**
 * Socket.IO v4 clients (Engine.IO 4 over long-polling with the WebSocket upgrade, or WebSocket alone)
 * as pushgate sessions, for pages written against web-msg-sender, PHPSocketIO or a Socket.IO server.
 */
@NullMarked
package io.pushgate.transport.socketio;

import org.jspecify.annotations.NullMarked;
