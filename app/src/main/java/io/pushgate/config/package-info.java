/** Configuration properties and the wiring of core, security and transports: the only package that knows them all. */
@NullMarked
package io.pushgate.config;

import org.jspecify.annotations.NullMarked;
