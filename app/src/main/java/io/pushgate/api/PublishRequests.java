package io.pushgate.api;

import java.util.ArrayList;
import java.util.List;

import io.pushgate.core.Publication;

import tools.jackson.databind.JsonNode;

/**
 * Turns the body of {@code POST /api/v1/messages} or {@code /api/v1/messages:batch} into publications,
 * the same way for every route that serves them. A batch is validated whole: one bad item publishes
 * nothing.
 */
final class PublishRequests {

    private final PublicationReader reader;
    private final int maxBatch;

    PublishRequests(PublicationReader reader, int maxBatch) {
        this.reader = reader;
        this.maxBatch = maxBatch;
    }

    List<Publication> one(JsonNode body) {
        return List.of(reader.read(body, ""));
    }

    List<Publication> batch(JsonNode body) {
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
