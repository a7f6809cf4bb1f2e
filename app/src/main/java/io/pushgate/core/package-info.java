/**
 * The push core: sessions, the uid/group/client index, encode-once fan-out and presence.
 *
 * <p>Nothing here knows a transport, a web framework, a JSON library or a broker. Transports adapt a
 * connection to a {@link io.pushgate.core.Session} through the {@link io.pushgate.core.Transport}
 * seam; the API calls {@link io.pushgate.core.PushNode}. Only reactor-core is imported, for the
 * per-session outbound {@link reactor.core.publisher.Sinks sink}.
 */
@NullMarked
package io.pushgate.core;

import org.jspecify.annotations.NullMarked;
