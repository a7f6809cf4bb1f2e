/**
 * The WebSocket transport at {@code /ws}: a connection's protocol state ({@code WsConnection}) speaks
 * the JSON frames of {@code api-spec/asyncapi.yaml} for a core {@link io.pushgate.core.Session}, fed by
 * the Netty pipeline ({@code DirectWebSocket}) or, for the upgrades that path leaves, by WebFlux.
 */
@NullMarked
package io.pushgate.transport.ws;

import org.jspecify.annotations.NullMarked;
