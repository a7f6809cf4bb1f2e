package io.pushgate.web;

import io.pushgate.api.problem.ProblemException;
import io.pushgate.api.problem.Problem;
import java.io.ByteArrayOutputStream;

import io.pushgate.codec.RawJson;

import org.springframework.core.io.buffer.DataBufferUtils;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
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

    /**
     * @throws ProblemException (as the {@code Mono}'s error) 415 when the body is declared as something
     *                          other than JSON, see {@link #declaresJsonOrNothing}
     */
    public Mono<JsonNode> read(ServerHttpRequest request) {
        return readBytes(request).map(this::parse);
    }

    /**
     * The body's bytes, under the same limits and media type check as {@link #read}, not yet parsed.
     *
     * @throws ProblemException (as the {@code Mono}'s error) 400 when it is empty, 413 when too large, 415
     */
    public Mono<byte[]> readBytes(ServerHttpRequest request) {
        if (!declaresJsonOrNothing(request.getHeaders().getFirst(HttpHeaders.CONTENT_TYPE))) {
            return Mono.error(notJson());
        }
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
                .map(out -> {
                    if (out.size() == 0) {
                        throw new ProblemException(Problem.badRequest("the request body is empty; send a JSON document"));
                    }
                    return out.toByteArray();
                });
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
            throw notReadable(e);
        }
    }

    /** 400 {@code bad-request} for a body the parser refused: past a JSON limit, or not valid JSON, and where. */
    public ProblemException notReadable(JacksonException e) {
        return new ProblemException(Problem.badRequest(RawJson.isLimit(e)
                ? "the request body is refused: " + RawJson.reason(e, mapper)
                : "the request body is not valid JSON: " + RawJson.malformed(e)));
    }

    /**
     * Whether a body with this {@code Content-Type} is read as JSON: {@code application/json}, any
     * {@code +json} type, or no type at all (backend HTTP clients often send none, and the API key already
     * shows the request is no browser's). A form, {@code text/plain} or an unparsable type is a body the
     * sender did not mean as JSON, and telling them so beats a parse error about its first character.
     */
    public static boolean declaresJsonOrNothing(@Nullable String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return true;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return MediaType.APPLICATION_JSON.equalsTypeAndSubtype(type) || "json".equals(type.getSubtypeSuffix());
        } catch (InvalidMediaTypeException e) {
            return false;
        }
    }

    /** 415 {@code unsupported-media-type}: the answer to a body declared as something other than JSON. */
    public static ProblemException notJson() {
        return new ProblemException(new Problem("unsupported-media-type", HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                "the body must be JSON: send Content-Type: application/json"));
    }

    private ProblemException tooLarge() {
        return new ProblemException(new Problem("body-too-large", HttpStatus.CONTENT_TOO_LARGE,
                "the request body is larger than " + maxBytes + " bytes"));
    }
}
