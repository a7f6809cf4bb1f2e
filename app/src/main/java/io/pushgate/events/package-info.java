/**
 * The backend's side, over HTTP: the node's {@link io.pushgate.core.BackendEvent}s POSTed to
 * {@code pushgate.events.url} in signed batches ({@link WebhookEvents}, on the bounded, batching, retrying
 * sender {@link Webhooks}, which Pusher's webhooks share with a format of their own), clients' calls POSTed to
 * {@code pushgate.events.rpc-url} ({@link RpcCalls}), both signed with {@link io.pushgate.web.Signatures}.
 * An adapter around the core's {@link io.pushgate.core.BackendEvents} and {@link io.pushgate.core.BackendCalls}.
 */
@NullMarked
package io.pushgate.events;

import org.jspecify.annotations.NullMarked;
