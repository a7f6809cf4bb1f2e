package io.pushgate.transport.sse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.Channel;
import io.pushgate.codec.JsonFrames;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Disconnect;
import io.pushgate.core.PushNode;
import io.pushgate.core.Session;
import io.pushgate.core.history.Cursor;
import io.pushgate.security.SecurityConfig;
import io.pushgate.web.NettyChannels;
import io.pushgate.web.Problem;
import io.pushgate.web.ProblemWriter;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;


import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves {@code GET /sse}. The stream starts with {@code retry:}, then a {@code welcome} event (client
 * id, uid, groups, cursor), then, when resuming from {@code Last-Event-ID} (or {@code ?lastEventId=}),
 * the missed messages or a {@code reset} event, then live messages, each flushed as it is written.
 * A comment line every heartbeat, preceded by {@code id: <cursor>}, keeps proxies from closing a quiet
 * stream and the browser's {@code Last-Event-ID} current.
 */
@RestController
public class SseHandler implements DisposableBean {

    static final String LAST_EVENT_ID = "Last-Event-ID";
    private static final Disconnect CLIENT_GONE = new Disconnect(1000, "closed by client");
    /** How long a close event may take to write before the connection is dropped. */
    private static final Duration CUT_GRACE = Duration.ofSeconds(5);

    private final PushNode node;
    private final JsonFrames frames;
    private final ProblemWriter problems;
    private final SseSettings settings;
    private final Disposable heartbeats;
    private final byte[] retry;

    public SseHandler(PushNode node, JsonFrames frames, ProblemWriter problems, SseSettings settings) {
        this.node = node;
        this.frames = frames;
        this.problems = problems;
        this.settings = settings;
        this.heartbeats = node.heartbeats("sse", settings.heartbeat());
        this.retry = ("retry: " + settings.retry().toMillis() + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void destroy() {
        heartbeats.dispose();
    }

    @GetMapping("/sse")
    Mono<Void> stream(ServerWebExchange exchange) {
        ClientClaims claims = SecurityConfig.clientClaims(exchange);
        Cursor resumeFrom;
        try {
            resumeFrom = cursor(exchange);
        } catch (IllegalArgumentException e) {
            return problems.write(exchange, Problem.badRequest("Last-Event-ID is not a cursor this server issued"));
        }
        Channel channel = NettyChannels.of(exchange);
        AtomicReference<@Nullable Session> opened = new AtomicReference<>();
        SseConnection connection = new SseConnection(channel, () -> closeEvent(opened.get()));
        Session session = node.connect(claims, connection, (s, cursor) -> frames.welcome(s.clientId(), s.uid(),
                settings.heartbeat().toMillis(),
                s.groups(), cursor), resumeFrom);
        opened.set(session);
        if (session == null) {
            Disconnect refusal = node.refusal();
            return problems.write(exchange, Problem.sessionRefused(refusal.equals(Disconnect.SHUTDOWN), refusal.reason()));
        }
        ServerHttpResponse response = exchange.getResponse();
        response.getHeaders().setContentType(new MediaType(MediaType.TEXT_EVENT_STREAM, StandardCharsets.UTF_8));
        response.getHeaders().setCacheControl("no-cache");
        response.getHeaders().set("X-Accel-Buffering", "no");

        connection.attach(session);
        SseChannelOutlet direct = connection.channelOutlet();
        if (channel != null && direct != null) {
            // Reactor Netty writes the headers, then retry:; the events follow, written to the channel
            // directly by the outlet from the next turn of the event loop; the response ends after them
            Flux<DataBuffer> framing = Flux.concat(
                    Mono.just(response.bufferFactory().wrap(retry)),
                    Mono.defer(() -> {
                        channel.eventLoop().execute(direct::open);
                        return direct.drained().then(Mono.<DataBuffer>empty());
                    }));
            return ended(response.writeWith(framing), connection, session);
        }
        Flux<byte[]> body = Flux.concat(
                Mono.just(retry),
                session.frames().map(SseConnection::encode).takeUntilOther(connection.cut()),
                Mono.fromSupplier(() -> closeEvent(session)));
        // writeWith, not writeAndFlushWith: Reactor Netty flushes whenever it has written everything
        // available, so a lone event still leaves at once, while a burst shares one flush
        return ended(response.writeWith(body.map(bytes -> response.bufferFactory().wrap(bytes))), connection, session);
    }

    private Mono<Void> ended(Mono<Void> writing, SseConnection connection, Session session) {
        return writing
                .takeUntilOther(connection.cut().delayElement(CUT_GRACE)) // a peer that stopped reading
                .onErrorResume(e -> Mono.empty())
                .doFinally(signal -> {
                    session.close(CLIENT_GONE);
                    node.disconnected(session);
                });
    }

    private byte[] closeEvent(@Nullable Session session) {
        Disconnect d = session == null ? null : session.disconnect();
        if (d == null) {
            d = CLIENT_GONE;
        }
        return SseConnection.encode(frames.close(d.code(), d.reason()));
    }

    private static @Nullable Cursor cursor(ServerWebExchange exchange) {
        String text = exchange.getRequest().getHeaders().getFirst(LAST_EVENT_ID);
        if (text == null || text.isBlank()) {
            text = exchange.getRequest().getQueryParams().getFirst("lastEventId");
        }
        return text == null || text.isBlank() ? null : Cursor.parse(text.trim());
    }
}
