package io.pushgate.api;

import java.util.List;

import io.pushgate.core.Broker;
import io.pushgate.core.PublishResult;
import io.pushgate.web.JsonBodies;

import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import reactor.core.publisher.Mono;

/**
 * Publishing through WebFlux. With {@code pushgate.api.direct-publish} on (the default), the usual
 * requests are answered by {@link DirectPublishHandler} before they reach WebFlux; this serves the rest
 * (a chunked body, {@code Expect: 100-continue}, a request behind another on a pipelined connection).
 */
@RestController
class MessagesController {

    private final Broker broker;
    private final JsonBodies bodies;
    private final PublishRequests requests;

    MessagesController(Broker broker, JsonBodies bodies, PublishRequests requests) {
        this.broker = broker;
        this.bodies = bodies;
        this.requests = requests;
    }

    @PostMapping("/api/v1/messages")
    Mono<Answers.Published> publish(ServerHttpRequest request) {
        String key = request.getHeaders().getFirst(PublishRequests.IDEMPOTENCY_KEY);
        return bodies.read(request).flatMap(body -> broker.publish(requests.one(body, key))).map(results -> answer(results.get(0)));
    }

    @PostMapping("/api/v1/messages:batch")
    Mono<List<Answers.Published>> batch(ServerHttpRequest request) {
        String key = request.getHeaders().getFirst(PublishRequests.IDEMPOTENCY_KEY);
        return bodies.read(request).flatMap(body -> broker.publish(requests.batch(body, key)))
                .map(results -> results.stream().map(MessagesController::answer).toList());
    }

    static Answers.Published answer(PublishResult result) {
        return new Answers.Published(result.id(), result.sessions(), result.online(), result.offline(),
                result.duplicate() ? Boolean.TRUE : null);
    }
}
