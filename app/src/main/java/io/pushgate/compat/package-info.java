/**
 * Compatibility adapters for the systems pushgate replaces (see {@code ../shared/seeds/}): each turns
 * the old wire format into a publish through the core's {@code Broker}, and is off unless switched on
 * ({@code pushgate.compat.*}).
 */
@NullMarked
package io.pushgate.compat;

import org.jspecify.annotations.NullMarked;
