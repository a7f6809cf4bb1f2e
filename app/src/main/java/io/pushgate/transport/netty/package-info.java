/**
 * Netty plumbing the transports share: handlers after the HTTP codec that take requests (and whole
 * connections) from the pipeline ahead of WebFlux ({@link io.pushgate.transport.netty.HttpTakeover},
 * {@link io.pushgate.transport.netty.HttpStage}), the outlet that writes encoded frames straight to a
 * channel ({@link io.pushgate.transport.netty.DirectOutlet}), the per-loop pass that runs the outlets' drains
 * after the loop's other work ({@link io.pushgate.transport.netty.WritePass}), and event-loop timers. It knows the core's
 * outlet seam and nothing of any one transport; each transport may use it, no transport uses another.
 */
@NullMarked
package io.pushgate.transport.netty;

import org.jspecify.annotations.NullMarked;
