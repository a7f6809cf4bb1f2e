/**
 * Who may connect and who may call the API: HS256 client tokens (verified at the WebSocket handshake
 * or in an {@code auth} frame) and backend API keys, wired into Spring Security's reactive chains.
 * Tokens and keys never reach a log line.
 */
@NullMarked
package io.pushgate.security;

import org.jspecify.annotations.NullMarked;
