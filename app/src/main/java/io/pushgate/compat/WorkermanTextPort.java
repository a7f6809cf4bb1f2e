package io.pushgate.compat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.pushgate.codec.RawJson;
import io.pushgate.core.Broker;
import io.pushgate.core.Names;
import io.pushgate.core.Publication;
import io.pushgate.core.Target;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Workerman's inner Text port (push.php's {@code Text://0.0.0.0:5678}): a backend writes one JSON
 * object a line, {@code {"uid":"…", …}}, and reads {@code ok} (the uid has a session here or elsewhere
 * in the cluster, and got the message) or {@code fail} a line back, answers in the order of the lines.
 * Every field besides {@code uid} is the message's data, as an object, or, with a {@code dataField}, that
 * field's value alone (push.php sent {@code $data['percent']}); the event is
 * {@code pushgate.compat.text-port.event}. A line that is not such an object, or too long, gets
 * {@code fail}; a line over the limit ends the connection.
 *
 * <p>The port has no authentication, as Workerman's had none: it is off by default and binds to
 * loopback unless told otherwise.
 */
public final class WorkermanTextPort implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WorkermanTextPort.class);

    private final Broker broker;
    private final JsonMapper mapper;
    private final String host;
    private final int port;
    private final String event;
    private final int maxLineBytes;
    private final @Nullable String dataField;
    private volatile @Nullable DisposableServer server;

    /** @param port the port to bind; 0 picks a free one ({@link #port()} says which) */
    public WorkermanTextPort(Broker broker, JsonMapper mapper, String host, int port, String event, int maxLineBytes) {
        this(broker, mapper, host, port, event, maxLineBytes, null);
    }

    /** @param dataField the field whose value alone is the data; {@code null} for every field besides {@code uid} */
    public WorkermanTextPort(Broker broker, JsonMapper mapper, String host, int port, String event, int maxLineBytes,
                             @Nullable String dataField) {
        this.dataField = dataField;
        this.broker = broker;
        this.mapper = mapper;
        this.host = host;
        this.port = port;
        this.event = event;
        this.maxLineBytes = maxLineBytes;
    }

    /** The bound port, once started. */
    public int port() {
        DisposableServer bound = server;
        return bound == null ? -1 : bound.port();
    }

    @Override
    public void start() {
        server = TcpServer.create().host(host).port(port)
                .doOnConnection(c -> c.addHandlerLast(lineDecoder()))
                .handle((in, out) -> out.sendString(in.receive().asString(StandardCharsets.UTF_8)
                        .concatMap(this::answer)
                        .map(answer -> answer + "\n")))
                .bindNow(Duration.ofSeconds(10));
        log.info("Workerman Text compatibility port on {}:{}", host, port());
    }

    @Override
    public void stop() {
        DisposableServer bound = server;
        server = null;
        if (bound != null) {
            bound.disposeNow(Duration.ofSeconds(5));
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    /** Before the web server stops, with the other traffic that publishes. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1;
    }

    /**
     * Splits what a backend writes into lines (LF or CRLF) of at most {@code maxLineBytes}; a longer line
     * fails the pipeline with a {@link io.netty.handler.codec.TooLongFrameException}, which ends the
     * connection, so no line buffers more than the limit.
     */
    ChannelHandler lineDecoder() {
        return new LineBasedFrameDecoder(maxLineBytes);
    }

    /** The answer to one line: {@code ok} or {@code fail}, whatever the line holds. */
    Mono<String> answer(String line) {
        String data;
        String uid;
        try {
            // the payload is as the backend wrote it (RawJson): no number is converted and written again;
            // the line is read once, split around uid or into its members
            JsonNode uidNode;
            if (dataField == null) {
                RawJson.Split split = RawJson.objectWithout(mapper, line, "uid");
                uidNode = split == null ? null : split.member();
                data = split == null ? null : split.rest();
            } else {
                java.util.Map<String, String> members = RawJson.members(mapper, line);
                String uidText = members == null ? null : members.get("uid");
                uidNode = uidText == null ? null : mapper.readTree(uidText);
                data = members == null ? null : members.get(dataField);
            }
            if (uidNode == null || !uidNode.isValueNode() || data == null) {
                return Mono.just("fail");
            }
            uid = uidNode.asString();
        } catch (JacksonException e) {
            return Mono.just("fail");
        }
        if (!Names.isValid(uid)) {
            return Mono.just("fail");
        }
        return broker.publish(new Publication(Target.uid(uid), event, data, 0))
                .map(result -> result.online().isEmpty() ? "fail" : "ok")
                .onErrorReturn("fail");
    }
}
