package io.pushgate.web;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /}: where to go next, for whoever opens the server's address. A browser (an {@code Accept}
 * that names {@code text/html}) gets a short HTML page; any other client a JSON index of the same links,
 * as API roots commonly answer. Both are 200 and need no credential. Every link is relative, so it
 * still points the right way when a proxy serves pushgate under a sub-path ({@code /push/}).
 *
 * <p>Neither names the version: it is in the start-up log, and a public page has no need to tell
 * every visitor which release to look up.
 */
@RestController
class RootPage {

    /** Name, then relative link, in the order both answers list them. */
    static final Map<String, String> LINKS;

    static {
        Map<String, String> links = new LinkedHashMap<>();
        links.put("api", "api/v1");
        links.put("demo", "demo/");
        links.put("client", "pushgate.js");
        links.put("websocket", "ws");
        links.put("sse", "sse");
        links.put("poll", "poll");
        LINKS = java.util.Collections.unmodifiableMap(links);
    }

    /** Where the documentation is: in the source, next to the code it describes. */
    static final String DOCS = "README.md, docs/ and api-spec/ in the pushgate source";

    private static final String HTML = """
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>pushgate</title></head>
            <body>
            <h1>pushgate</h1>
            <p>A real-time push server. This is its address; clients and backends talk to the paths below.</p>
            <ul>
            <li><a href="demo/">Demo page</a>: open it with <code>?token=&lt;client token&gt;</code> (the start-up log prints one in development)</li>
            <li><a href="pushgate.js">pushgate.js</a>: the JavaScript client</li>
            <li><code>api/v1</code>: the backend API (needs <code>Authorization: Bearer &lt;API key&gt;</code>)</li>
            <li><code>ws</code>, <code>sse</code>, <code>poll</code>: the client transports</li>
            </ul>
            <p>Documentation: README.md, docs/ and api-spec/ (OpenAPI and AsyncAPI) in the pushgate source.</p>
            </body>
            </html>
            """;

    @GetMapping("/")
    ResponseEntity<?> root(ServerHttpRequest request) {
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().cacheControl(CacheControl.noCache());
        if (wantsHtml(request.getHeaders().getAccept())) {
            return ok.contentType(new MediaType(MediaType.TEXT_HTML, java.nio.charset.StandardCharsets.UTF_8)).body(HTML);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("name", "pushgate");
        index.put("links", LINKS);
        index.put("docs", DOCS);
        return ok.contentType(MediaType.APPLICATION_JSON).body(index);
    }

    /**
     * Whether the client asked for HTML by name, as browsers do for a page; a wildcard ({@code curl}'s
     * {@code *}{@code /*}) or no {@code Accept} at all gets JSON.
     */
    static boolean wantsHtml(List<MediaType> accept) {
        for (MediaType type : accept) {
            if (type.getQualityValue() > 0 && !type.isWildcardType() && !type.isWildcardSubtype()
                    && (MediaType.TEXT_HTML.equalsTypeAndSubtype(type) || MediaType.APPLICATION_XHTML_XML.equalsTypeAndSubtype(type))) {
                return true;
            }
        }
        return false;
    }
}
