package io.pushgate.api;

import java.util.ArrayList;
import java.util.List;

import io.pushgate.core.Publication;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * Turns the body of {@code POST /api/v1/messages} or {@code /api/v1/messages:batch} into publications,
 * the same way for every route that serves them. A batch is validated whole: one bad item publishes
 * nothing.
 */
final class PublishRequests {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final PublicationReader reader;
    private final int maxBatch;

    PublishRequests(PublicationReader reader, int maxBatch) {
        this.reader = reader;
        this.maxBatch = maxBatch;
    }

    /**
     * @param idempotencyKey the {@code Idempotency-Key} header; the body's {@code idempotencyKey} may repeat
     *                       it, never contradict it
     */
    List<Publication> one(JsonNode body, @Nullable String idempotencyKey) {
        Publication publication = reader.read(body, "");
        if (idempotencyKey == null) {
            return List.of(publication);
        }
        if (!PublicationReader.validKey(idempotencyKey)) {
            throw ApiException.badRequest("the Idempotency-Key header " + PublicationReader.KEY_RULE);
        }
        if (publication.idempotencyKey() != null && !publication.idempotencyKey().equals(idempotencyKey)) {
            throw ApiException.badRequest("the Idempotency-Key header and the body's idempotencyKey differ");
        }
        return List.of(new Publication(publication.target(), publication.event(), publication.dataJson(),
                publication.ttlSeconds(), idempotencyKey));
    }

    /** A batch names a key per item ({@code idempotencyKey}): one header cannot name several publishes. */
    List<Publication> batch(JsonNode body, @Nullable String idempotencyKey) {
        if (idempotencyKey != null) {
            throw ApiException.badRequest("a batch takes an idempotencyKey per item, not the Idempotency-Key header");
        }
        if (!body.isArray()) {
            throw ApiException.badRequest("a batch must be a JSON array of publish requests");
        }
        if (body.size() > maxBatch) {
            throw ApiException.badRequest("at most " + maxBatch + " publishes in one batch");
        }
        List<Publication> publications = new ArrayList<>(body.size());
        int index = 0;
        for (JsonNode item : body) {
            publications.add(reader.read(item, "[" + index++ + "]: "));
        }
        return publications;
    }
}
