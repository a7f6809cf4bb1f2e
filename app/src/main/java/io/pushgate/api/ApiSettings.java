package io.pushgate.api;

/**
 * @param maxBodyBytes the largest request body
 * @param maxBatch     publishes per batch request
 * @param maxTargets   uids + groups + clients per publish
 */
public record ApiSettings(int maxBodyBytes, int maxBatch, int maxTargets) {
}
