/**
 * Web plumbing shared by the API, the security chains and the transports: problem+json answers, the
 * outlet that writes straight to a channel, and the handlers after the HTTP codec that take requests
 * (and whole connections) from the Netty pipeline ahead of WebFlux.
 */
@NullMarked
package io.pushgate.web;

import org.jspecify.annotations.NullMarked;
