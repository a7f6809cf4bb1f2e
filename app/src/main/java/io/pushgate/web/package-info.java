/** Web plumbing shared by the API, the security chains and the transports: problem+json answers. */
@NullMarked
package io.pushgate.web;

import org.jspecify.annotations.NullMarked;
