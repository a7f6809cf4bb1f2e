package io.pushgate.api;

/**
 * @param maxBodyBytes the largest request body
 * @param maxBatch     publishes per batch request
 * @param maxTargets   uids + groups + clients per publish
 * @param directPublish whether {@link DirectPublishing} answers publish requests ahead of WebFlux
 * @param accessLog    whether every API request gets a line on {@link AccessLog#LOGGER}
 * @param rate         requests per second per API key; 0 for no limit
 * @param rateBurst    requests a key may send in one burst; 0 for one second's worth
 * @param maxSessionDataBytes the largest session data of one connection, as compact JSON
 * @param streamMaxInFlight publishes of one {@link PublishStream} read and not yet answered; past it the
 *                          stream is not read until an answer goes out
 * @param shutdownGraceMillis how long shutdown waits for publish streams to answer what they read and close
 */
public record ApiSettings(int maxBodyBytes, int maxBatch, int maxTargets, boolean directPublish, boolean accessLog,
                          double rate, int rateBurst, int maxSessionDataBytes, int streamMaxInFlight,
                          long shutdownGraceMillis) {
}
