/**
 * The HTTP edge every adapter shares: who the peer is (trusted forwarded headers, address ranges), the
 * cap on connections that have not yet authenticated, security headers, reading JSON request bodies,
 * the index at {@code /} and the demo page, the audit log ({@link io.pushgate.web.Audit}). Netty takeover plumbing lives in {@code io.pushgate.transport.netty}; the
 * problem+json answers in {@code io.pushgate.api.problem}.
 */
@NullMarked
package io.pushgate.web;

import org.jspecify.annotations.NullMarked;
