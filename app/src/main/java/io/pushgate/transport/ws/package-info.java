/**
 * The WebSocket transport at {@code /ws}: adapts a WebFlux {@code WebSocketSession} to a core
 * {@link io.pushgate.core.Session} and speaks the JSON frames of {@code api-spec/asyncapi.yaml}.
 */
@NullMarked
package io.pushgate.transport.ws;

import org.jspecify.annotations.NullMarked;
