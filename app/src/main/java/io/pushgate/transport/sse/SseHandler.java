package io.pushgate.transport.sse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

import io.netty.channel.Channel;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Prepared;
import io.pushgate.core.Session;
import io.pushgate.core.Cursor;
import io.pushgate.security.SecurityConfig;
import io.pushgate.transport.netty.NettyChannels;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemWriter;

import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves {@code GET /sse}. The stream starts with {@code retry:}, then a {@code welcome} event (client
 * id, uid, groups, cursor), then, when resuming from {@code Last-Event-ID} (or {@code ?lastEventId=}),
 * the missed messages or a {@code reset} event, then live messages, each flushed as it is written.
 * A comment line every heartbeat, preceded by {@code id: <cursor>}, keeps proxies from closing a quiet
 * stream and the browser's {@code Last-Event-ID} current.
 *
 * <p>Streams that {@link DirectSse} serves from the Netty pipeline never get here; this serves the
 * rest (cross-origin pages, refusals, {@code pushgate.sse.direct=false}) with the same bytes.
 */
@RestController
public class SseHandler {

    /** How long a close event may take to write before the connection is dropped. */
    static final Duration CUT_GRACE = Duration.ofSeconds(5);

    private final SseStreams streams;
    private final ProblemWriter problems;

    public SseHandler(SseStreams streams, ProblemWriter problems) {
        this.streams = streams;
        this.problems = problems;
    }

    @GetMapping("/sse")
    Mono<Void> stream(ServerWebExchange exchange) {
        ClientClaims claims = SecurityConfig.clientClaims(exchange);
        Cursor resumeFrom;
        try {
            resumeFrom = SseStreams.cursor(exchange.getRequest().getHeaders().getFirst(SseStreams.LAST_EVENT_ID),
                    exchange.getRequest().getQueryParams().getFirst(SseStreams.LAST_EVENT_ID_PARAMETER));
        } catch (IllegalArgumentException e) {
            return problems.write(exchange, Problem.badRequest("Last-Event-ID is not a cursor this server issued"));
        }
        Channel channel = NettyChannels.of(exchange);
        Mono<Prepared> preparing = streams.prepare(claims, resumeFrom);
        if (preparing == null) {
            return open(exchange, channel, claims, resumeFrom, null);
        }
        // a stream on a partitioned cluster log opens once its state is read; a response cancelled meanwhile
        // (the client left) never opens, and a cluster that cannot be read is a 503 the client retries
        return NettyChannels.backOn(channel, preparing.map(Optional::of)
                        .onErrorReturn(Optional.empty())
                        .defaultIfEmpty(Optional.empty()))
                .flatMap(prepared -> prepared.isEmpty() ? problems.write(exchange, Problem.clusterUnreadable())
                        : channel != null && !channel.isActive() ? Mono.empty()
                        : open(exchange, channel, claims, resumeFrom, prepared.get()));
    }

    private Mono<Void> open(ServerWebExchange exchange, @Nullable Channel channel, ClientClaims claims,
                            @Nullable Cursor resumeFrom, @Nullable Prepared prepared) {
        SseStreams.Opened opened = streams.open(channel, claims, resumeFrom, null, prepared);
        if (opened == null) {
            return problems.write(exchange, Problem.sessionRefused(streams.refusal(claims.uid())));
        }
        ServerHttpResponse response = exchange.getResponse();
        response.getHeaders().setContentType(new MediaType(MediaType.TEXT_EVENT_STREAM, StandardCharsets.UTF_8));
        response.getHeaders().setCacheControl("no-cache");
        response.getHeaders().set("X-Accel-Buffering", "no");

        Session session = opened.session();
        SseChannelOutlet direct = opened.outlet();
        if (channel != null && direct != null) {
            // Reactor Netty writes the headers, then retry:; the events follow, written to the channel
            // directly by the outlet from the next turn of the event loop; the response ends after them
            Flux<DataBuffer> framing = Flux.concat(
                    Mono.just(response.bufferFactory().wrap(streams.retry())),
                    Mono.defer(() -> {
                        channel.eventLoop().execute(direct::open);
                        return direct.drained().then(Mono.<DataBuffer>empty());
                    }));
            return ended(response.writeWith(framing), opened.connection(), session);
        }
        Flux<byte[]> body = Flux.concat(
                Mono.just(streams.retry()),
                session.frames().map(SseConnection::encode).takeUntilOther(opened.connection().cut()),
                Mono.fromSupplier(() -> streams.closeEvent(session)));
        // writeWith, not writeAndFlushWith: Reactor Netty flushes whenever it has written everything
        // available, so a lone event still leaves at once, while a burst shares one flush
        return ended(response.writeWith(body.map(bytes -> response.bufferFactory().wrap(bytes))), opened.connection(), session);
    }

    private Mono<Void> ended(Mono<Void> writing, SseConnection connection, Session session) {
        return writing
                .takeUntilOther(connection.cut().delayElement(CUT_GRACE)) // a peer that stopped reading
                .onErrorResume(e -> Mono.empty())
                .doFinally(signal -> streams.ended(session));
    }
}
