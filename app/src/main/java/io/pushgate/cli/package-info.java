/**
 * The jar's commands besides the server: {@code java -jar pushgate.jar <command> …} runs one and exits,
 * without starting a web server or opening a port. They read the same configuration the server does.
 */
@NullMarked
package io.pushgate.cli;

import org.jspecify.annotations.NullMarked;
