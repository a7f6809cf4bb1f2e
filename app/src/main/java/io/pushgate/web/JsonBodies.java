package io.pushgate.web;

import io.pushgate.api.problem.ProblemException;
import io.pushgate.api.problem.Problem;
import java.io.ByteArrayOutputStream;

import io.pushgate.codec.RawJson;

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
 * The {@code data} member of the body (or of each batch item) is kept as the exact text sent
 * ({@link RawJson}); a body nested deeper than the mapper allows ({@code pushgate.json.max-depth}) is a 400.
 */
public final class JsonBodies {

    private final JsonMapper mapper;
    private final int maxBytes;

    public JsonBodies(JsonMapper mapper, int maxBytes) {
        this.mapper = mapper;
        this.maxBytes = maxBytes;
    }

    public Mono<JsonNode> read(ServerHttpRequest request) {
        long declared = request.getHeaders().getContentLength();
        if (declared > maxBytes) {
            return Mono.error(tooLarge());
        }
        // each buffer is copied out and released at once, so an early stop never leaves one to release twice
        return request.getBody()
                .map(buffer -> {
                    try {
                        byte[] chunk = new byte[buffer.readableByteCount()];
                        buffer.read(chunk);
                        return chunk;
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .reduce(new ByteArrayOutputStream(), (out, chunk) -> {
                    if (out.size() + chunk.length > maxBytes) {
                        throw tooLarge();
                    }
                    out.writeBytes(chunk);
                    return out;
                })
                .map(out -> parse(out.toByteArray()));
    }

    /** The largest body {@link #read} takes. */
    public int maxBytes() {
        return maxBytes;
    }

    /** Parses a body read whole by the caller, refusing it as {@link #read} would. */
    public JsonNode parse(byte[] bytes) {
        if (bytes.length == 0) {
            throw new ProblemException(Problem.badRequest("the request body is empty; send a JSON document"));
        }
        if (bytes.length > maxBytes) {
            throw tooLarge();
        }
        try {
            return RawJson.read(mapper, bytes);
        } catch (JacksonException e) {
            throw new ProblemException(Problem.badRequest(RawJson.isLimit(e)
                    ? "the request body is refused: " + RawJson.reason(e, mapper)
                    : "the request body is not valid JSON: " + e.getOriginalMessage()));
        }
    }

    private ProblemException tooLarge() {
        return new ProblemException(new Problem("body-too-large", HttpStatus.CONTENT_TOO_LARGE,
                "the request body is larger than " + maxBytes + " bytes"));
    }
}
