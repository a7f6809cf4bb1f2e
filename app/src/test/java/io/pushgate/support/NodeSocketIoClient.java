package io.pushgate.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The stock {@code socket.io-client} from npm, run by Node.js ({@code app/src/test/node/socketio-client.js},
 * installed by {@code npm ci} in that folder): each line it prints is one thing the client reported.
 */
public final class NodeSocketIoClient extends NodeScript {

    public static final Duration WAIT = NodeScript.WAIT;

    private NodeSocketIoClient(Started started) {
        super(started.process(), started.errors());
    }

    /** @param options the client's options as JSON: transports, upgrade, auth, login */
    public static NodeSocketIoClient start(int port, String options) {
        return start("http://127.0.0.1:" + port, options, Map.of());
    }

    /** @param env more environment, e.g. {@code NODE_EXTRA_CA_CERTS} for a test CA */
    public static NodeSocketIoClient start(String url, String options, Map<String, String> env) {
        return new NodeSocketIoClient(launch("socketio-client.js", "socket.io-client", List.of(url, options), env));
    }
}
