/**
 * The {@code application/problem+json} answers (RFC 9457) of every HTTP endpoint: the problem types are
 * part of the public API ({@code api-spec/openapi.yaml}), so they live with the API, and the transports'
 * and security chains' HTTP refusals use them too. This package knows only the core (its refusals
 * and errors), so using it does not tie an adapter to the API's controllers.
 */
@NullMarked
package io.pushgate.api.problem;

import org.jspecify.annotations.NullMarked;
