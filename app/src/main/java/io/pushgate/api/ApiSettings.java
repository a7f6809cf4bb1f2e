package io.pushgate.api;

/**
 * @param maxBodyBytes the largest request body
 * @param maxBatch     publishes per batch request
 * @param maxTargets   uids + groups + clients per publish
 * @param directPublish whether {@link DirectPublishing} answers publish requests ahead of WebFlux
 */
public record ApiSettings(int maxBodyBytes, int maxBatch, int maxTargets, boolean directPublish) {
}
