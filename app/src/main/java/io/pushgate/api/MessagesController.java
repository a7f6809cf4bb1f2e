package io.pushgate.api;

import io.pushgate.web.JsonBodies;

import java.util.ArrayList;
import java.util.List;

import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.core.Broker;

import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** Publishing. A batch is validated whole before anything is sent: one bad item publishes nothing. */
@RestController
class MessagesController {

    private final Broker broker;
    private final JsonBodies bodies;
    private final PublicationReader reader;
    private final int maxBatch;

    MessagesController(Broker broker, JsonBodies bodies, PublicationReader reader, ApiSettings settings) {
        this.broker = broker;
        this.bodies = bodies;
        this.reader = reader;
        this.maxBatch = settings.maxBatch();
    }

    @PostMapping("/api/v1/messages")
    Mono<Answers.Published> publish(ServerHttpRequest request) {
        return bodies.read(request).flatMap(body -> broker.publish(reader.read(body, ""))).map(MessagesController::answer);
    }

    @PostMapping("/api/v1/messages:batch")
    Mono<List<Answers.Published>> batch(ServerHttpRequest request) {
        return bodies.read(request).flatMap(body -> {
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
            return broker.publish(publications);
        }).map(results -> results.stream().map(MessagesController::answer).toList());
    }

    private static Answers.Published answer(PublishResult result) {
        return new Answers.Published(result.id(), result.sessions(), result.online(), result.offline());
    }
}
