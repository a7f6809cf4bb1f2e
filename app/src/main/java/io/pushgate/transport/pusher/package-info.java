/**
 * Pusher Channels protocol 7 at {@code /app/{key}} (pusher-js, Laravel Echo) and Pusher's HTTP API at
 * {@code /apps/{app_id}/…} (the {@code pusher} server SDKs, Laravel's broadcaster): a channel is a pushgate
 * group, a Pusher connection a pushgate session. Off unless {@code pushgate.compat.pusher.enabled}.
 */
@NullMarked
package io.pushgate.transport.pusher;

import org.jspecify.annotations.NullMarked;
