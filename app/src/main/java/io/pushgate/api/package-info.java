/**
 * The backend HTTP API under {@code /api/v1} ({@code api-spec/openapi.yaml}): publish, presence,
 * membership, kick and stats. A thin adapter over the core: it reads presence through
 * {@link io.pushgate.core.ApiRole} and changes things through the {@link io.pushgate.core.Broker}; every
 * error is {@code application/problem+json}. Every request, on either path that answers it, gets an
 * access line and counts against its key's rate ({@link io.pushgate.api.ApiRequests}).
 */
@NullMarked
package io.pushgate.api;

import org.jspecify.annotations.NullMarked;
