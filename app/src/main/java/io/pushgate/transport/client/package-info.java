/**
 * The small POST endpoints under {@code /client} through which SSE and long-poll clients join and
 * leave groups and publish, under the same token rules as WebSocket frames.
 */
@NullMarked
package io.pushgate.transport.client;

import org.jspecify.annotations.NullMarked;
