/**
 * Server-Sent Events at {@code /sse}: the same messages as the WebSocket, one way, for clients and
 * networks without WebSocket. The message frame's {@code id} is the cursor, so the browser's own
 * {@code Last-Event-ID} resumes a dropped stream. Streams are served from the Netty pipeline
 * ({@code DirectSse}) or, for those that path leaves, by WebFlux ({@code SseHandler}).
 */
@NullMarked
package io.pushgate.transport.sse;

import org.jspecify.annotations.NullMarked;
