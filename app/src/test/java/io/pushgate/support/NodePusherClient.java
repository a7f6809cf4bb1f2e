package io.pushgate.support;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import tools.jackson.databind.JsonNode;

/**
 * The stock {@code pusher-js} (Node build) and the stock {@code pusher} server SDK from npm, run by Node.js
 * ({@code app/src/test/node/pusher-client.js}): the page's client and its backend in one script. Each line it
 * prints is one thing either reported; commands go in with {@link #send}.
 */
public final class NodePusherClient extends NodeScript {

    private final AtomicInteger refs = new AtomicInteger();

    private NodePusherClient(Started started) {
        super(started.process(), started.errors());
    }

    /** @param options host, port, appId, key, secret, connect (false: the server SDK alone), tls */
    public static NodePusherClient start(String options) {
        return start(options, Map.of());
    }

    /** @param env more environment, e.g. {@code NODE_EXTRA_CA_CERTS} for a test CA */
    public static NodePusherClient start(String options, Map<String, String> env) {
        return new NodePusherClient(launch("pusher-client.js", "pusher-js", List.of(options), env));
    }

    /** Sends a server SDK command ({@code trigger}, {@code batch}, {@code get}) and waits for its answer. */
    public JsonNode call(String commandWithoutRef) {
        int ref = refs.incrementAndGet();
        send(commandWithoutRef.substring(0, commandWithoutRef.lastIndexOf('}')) + ",\"ref\":" + ref + "}");
        return await(line -> line.path("ref").asInt(-1) == ref, "the answer to " + commandWithoutRef);
    }

    /** The socket id once connected. */
    public String socketId() {
        return reported("connected").path("connected").asString();
    }
}
