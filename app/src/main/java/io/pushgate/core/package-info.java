/**
 * The push core: sessions, the uid/group/client index, encode-once fan-out and presence.
 *
 * <p>Nothing here knows a transport, a web framework, a JSON library or a broker. Transports adapt a
 * connection to a {@link io.pushgate.core.Session} through the {@link io.pushgate.core.Transport}
 * seam; the API calls {@link io.pushgate.core.PushNode}, and for anything that may concern another
 * node (publishes, membership, kicks) the {@link io.pushgate.core.Broker} seam, which a cluster broker
 * implements outside the core. Only reactor-core is imported, for timers and the {@code Mono} answers
 * of the broker seam.
 */
@NullMarked
package io.pushgate.core;

import org.jspecify.annotations.NullMarked;
