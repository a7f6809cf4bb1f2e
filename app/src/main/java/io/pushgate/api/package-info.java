/**
 * The backend HTTP API under {@code /api/v1} ({@code api-spec/openapi.yaml}): publish, presence,
 * membership, kick and stats. A thin adapter over {@link io.pushgate.core.PushNode}; every error is
 * {@code application/problem+json}.
 */
@NullMarked
package io.pushgate.api;

import org.jspecify.annotations.NullMarked;
