/** JSON encoding of the frames clients receive: the one place that turns core values into bytes. */
@NullMarked
package io.pushgate.codec;

import org.jspecify.annotations.NullMarked;
