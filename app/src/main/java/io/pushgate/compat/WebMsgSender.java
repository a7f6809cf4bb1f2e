package io.pushgate.compat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import io.pushgate.core.Broker;
import io.pushgate.core.Names;
import io.pushgate.core.Publication;
import io.pushgate.core.Target;
import io.pushgate.web.AddressRanges;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * web-msg-sender's push port, at {@code GET|POST /compat/web-msg-sender}: a backend that sent
 * {@code type=publish&to=<uid>&content=…} to port 2121 (as a form, a multipart form, which is what PHP's
 * curl sends for an array, or a query string) keeps its code and changes the URL. Like web-msg-sender,
 * the content is HTML-escaped and goes out as event {@code new_msg} whose data is that string; no
 * {@code to} sends to everyone; the answer is the text {@code ok}, {@code offline} (no session of that
 * uid here or anywhere in the cluster) or {@code fail} (anything but {@code type=publish}).
 *
 * <p>web-msg-sender's port had no authentication and was meant to be reachable only from the
 * backends' hosts. This endpoint is off by default and, when on, takes requests only from the
 * addresses in {@code allowed-from} (loopback by default; behind a trusted proxy, the client address
 * it forwards, see {@code TrustedForwardedHeaders}; from any other peer, the peer itself) and, when a key is set, only with {@code key=<key>} among the fields.
 */
public final class WebMsgSender {

    /** The path, and the event its messages carry. */
    public static final String PATH = "/compat/web-msg-sender";
    static final String EVENT = "new_msg";

    private final Broker broker;
    private final JsonMapper mapper;
    private final AddressRanges allowedFrom;
    private final byte @Nullable [] key;

    /**
     * @param allowedFrom client addresses taken ({@code 127.0.0.1}, {@code ::1}, CIDR ranges); {@code *} takes any
     * @param key         a key the request must carry as the field {@code key}, or {@code null} for none
     */
    public WebMsgSender(Broker broker, JsonMapper mapper, AddressRanges allowedFrom, @Nullable String key) {
        this.broker = broker;
        this.mapper = mapper;
        this.allowedFrom = allowedFrom;
        this.key = key == null || key.isEmpty() ? null : key.getBytes(StandardCharsets.UTF_8);
    }

    /** The route, to register when {@code pushgate.compat.web-msg-sender.enabled} is on. */
    public RouterFunction<ServerResponse> routes() {
        return RouterFunctions.route().GET(PATH, this::push).POST(PATH, this::push).build();
    }

    private Mono<ServerResponse> push(ServerRequest request) {
        if (!allowed(request.remoteAddress().orElse(null))) {
            return text(HttpStatus.FORBIDDEN, "forbidden: this address may not push here; see pushgate.compat.web-msg-sender.allowed-from");
        }
        return fields(request).flatMap(fields -> {
            if (key != null && !MessageDigest.isEqual(key, field(fields, "key").getBytes(StandardCharsets.UTF_8))) {
                return text(HttpStatus.FORBIDDEN, "forbidden: a key=<pushgate.compat.web-msg-sender.key> field is required");
            }
            if (!"publish".equals(field(fields, "type"))) {
                return text(HttpStatus.OK, "fail");
            }
            String to = field(fields, "to");
            if (!to.isEmpty() && !Names.isValid(to)) {
                return text(HttpStatus.OK, "fail");
            }
            String data = mapper.writeValueAsString(htmlEscaped(field(fields, "content")));
            Target target = to.isEmpty() ? Target.everyone() : Target.uid(to);
            return broker.publish(new Publication(target, EVENT, data, 0))
                    .flatMap(result -> text(HttpStatus.OK, !to.isEmpty() && result.online().isEmpty() ? "offline" : "ok"))
                    .onErrorResume(e -> text(HttpStatus.SERVICE_UNAVAILABLE, "fail"));
        });
    }

    /** The query parameters, overridden by the form's fields (urlencoded or multipart), as PHP's {@code $_POST ?: $_GET}. */
    private static Mono<MultiValueMap<String, String>> fields(ServerRequest request) {
        MediaType type = request.headers().contentType().orElse(null);
        if (type != null && MediaType.MULTIPART_FORM_DATA.isCompatibleWith(type)) {
            return request.multipartData().map(parts -> {
                MultiValueMap<String, String> fields = new LinkedMultiValueMap<>();
                parts.forEach((name, values) -> {
                    for (Part part : values) {
                        if (part instanceof FormFieldPart field) {
                            fields.add(name, field.value());
                        }
                    }
                });
                return fields.isEmpty() ? request.queryParams() : fields;
            });
        }
        if (type != null && MediaType.APPLICATION_FORM_URLENCODED.isCompatibleWith(type)) {
            return request.formData().map(form -> form.isEmpty() ? request.queryParams() : form);
        }
        return Mono.just(request.queryParams());
    }

    private static String field(MultiValueMap<String, String> fields, String name) {
        String value = fields.getFirst(name);
        return value == null ? "" : value.trim();
    }

    /** Compared as addresses, not as text: {@code ::1} and {@code 0:0:0:0:0:0:0:1} are one client. */
    private boolean allowed(@Nullable InetSocketAddress remote) {
        return allowedFrom.contains(remote == null ? null : remote.getAddress());
    }

    /** What PHP's {@code htmlspecialchars} does by default: {@code & " ' < >} as entities. */
    static String htmlEscaped(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String entity = switch (c) {
                case '&' -> "&amp;";
                case '"' -> "&quot;";
                case '\'' -> "&#039;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                default -> null;
            };
            if (entity != null && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (entity != null) {
                    out.append(entity);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }

    private static Mono<ServerResponse> text(HttpStatus status, String body) {
        return ServerResponse.status(status).contentType(MediaType.TEXT_PLAIN).bodyValue(body);
    }
}
