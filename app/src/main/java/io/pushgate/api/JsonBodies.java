package io.pushgate.api;

import io.pushgate.web.Problem;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;

import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a request body as a JSON tree without ever holding more than the configured limit: a declared
 * {@code Content-Length} over it is refused before reading, and a streamed body is cut at the limit.
 */
final class JsonBodies {

    private final JsonMapper mapper;
    private final int maxBytes;

    JsonBodies(JsonMapper mapper, int maxBytes) {
        this.mapper = mapper;
        this.maxBytes = maxBytes;
    }

    Mono<JsonNode> read(ServerHttpRequest request) {
        long declared = request.getHeaders().getContentLength();
        if (declared > maxBytes) {
            return Mono.error(tooLarge());
        }
        return DataBufferUtils.join(request.getBody(), maxBytes)
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge())
                .map(this::parse)
                .switchIfEmpty(Mono.error(() -> ApiException.badRequest("the request body is empty; send a JSON document")));
    }

    private JsonNode parse(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return mapper.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage());
        } finally {
            DataBufferUtils.release(buffer);
        }
    }

    private ApiException tooLarge() {
        return new ApiException(new Problem("body-too-large", HttpStatus.CONTENT_TOO_LARGE,
                "the request body is larger than " + maxBytes + " bytes"));
    }
}
