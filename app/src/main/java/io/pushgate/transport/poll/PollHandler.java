package io.pushgate.transport.poll;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.pushgate.codec.JsonFrames;
import io.pushgate.core.ClientClaims;
import io.pushgate.core.Disconnect;
import io.pushgate.core.Frame;
import io.pushgate.core.Prepared;
import io.pushgate.core.Session;
import io.pushgate.core.TransportRole;
import io.pushgate.core.Cursor;
import io.pushgate.core.Entry;
import io.pushgate.core.Replay;
import io.pushgate.security.SecurityConfig;
import io.pushgate.transport.netty.NettyChannels;
import io.pushgate.api.problem.Problem;
import io.pushgate.api.problem.ProblemWriter;

import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Serves {@code GET /poll?cursor=…}, answering {@code {"messages":[…],"cursor":"…"}}.
 *
 * <ul>
 * <li>No cursor: a new poller. Answers at once with what was held for the uid under a {@code ttl} and
 * the current cursor.
 * <li>A cursor with messages after it: answers at once with up to {@code batch} of them.
 * <li>Nothing after it: waits up to {@code hold} for a message, else answers empty with a cursor at the
 * same position, timed now, so a poller on a quiet stream never ages out of the history window.
 * <li>A cursor past the history window: answers a {@code reset} frame and the current cursor.
 * </ul>
 * Messages are read from history, never from a queue, so a poll whose answer was lost is answered
 * again the same way, and two pollers of one uid each get everything.
 */
@RestController
public class PollHandler {

    private final TransportRole node;
    private final JsonFrames frames;
    private final ProblemWriter problems;
    private final PollSettings settings;
    private final Map<String, Poller> pollers = new ConcurrentHashMap<>();

    public PollHandler(TransportRole node, JsonFrames frames, ProblemWriter problems, PollSettings settings) {
        this.node = node;
        this.frames = frames;
        this.problems = problems;
        this.settings = settings;
    }

    @GetMapping("/poll")
    Mono<Void> poll(ServerWebExchange exchange) {
        ClientClaims claims = SecurityConfig.clientClaims(exchange);
        String text = exchange.getRequest().getQueryParams().getFirst("cursor");
        PollCursor cursor = null;
        if (text != null && !text.isBlank()) {
            try {
                cursor = PollCursor.parse(text.trim());
            } catch (IllegalArgumentException e) {
                return problems.write(exchange, Problem.badRequest("cursor is malformed; send the cursor of the last answer"));
            }
        }
        if (cursor != null && cursor.clientId() != null) {
            Poller known = pollers.get(cursor.clientId());
            Session closed = known == null ? null : known.session();
            Disconnect why = known == null ? null : known.closedWith();
            if (closed != null && why != null && known.closedByServer() && closed.uid().equals(claims.uid())) {
                return write(exchange.getResponse(), new Answer(List.of(frames.close(why.code(), why.reason())),
                        cursor.position()), null);
            }
        }
        Mono<Prepared> preparing = node.prepare(claims, cursor == null ? null : cursor.position());
        if (preparing == null) {
            return poll(exchange, claims, cursor, null);
        }
        // on a partitioned cluster log a poll goes on once what it reads is read from the cluster; when that
        // cannot be read it is a 503 the client retries with the same cursor, and a new poller is not made
        PollCursor asked = cursor;
        return NettyChannels.backOn(NettyChannels.of(exchange), preparing.map(Optional::of)
                        .onErrorReturn(Optional.empty())
                        .defaultIfEmpty(Optional.empty()))
                .flatMap(prepared -> prepared.isEmpty() ? problems.write(exchange, Problem.clusterUnreadable())
                        : poll(exchange, claims, asked, prepared.get()));
    }

    /** @param prepared what {@link TransportRole#prepare} read for this poll, or {@code null} when it answered {@code null} */
    private Mono<Void> poll(ServerWebExchange exchange, ClientClaims claims, @Nullable PollCursor cursor,
                            @Nullable Prepared prepared) {
        Poller poller = poller(claims, cursor == null ? null : cursor.clientId());
        if (poller == null) {
            return problems.write(exchange, Problem.sessionRefused(node.refusal(claims.uid())));
        }
        Session session = poller.session();
        poller.pollStarted();
        Mono<Answer> answer = cursor == null
                ? Mono.fromSupplier(() -> new Answer(node.takeOffline(claims.uid(), prepared), node.currentCursor(prepared)))
                : read(poller, session, cursor.position(), prepared);
        return answer
                .flatMap(a -> write(exchange.getResponse(), a, session))
                .doFinally(signal -> poller.pollEnded());
    }

    private record Answer(List<Frame> messages, Cursor next) {
    }

    /**
     * @param prepared what the cluster read for this poll: every read of the poll (after a wake too) goes by the
     *                 same one, whose guarantee covers what this node applies after it was read
     */
    private Mono<Answer> read(Poller poller, Session session, Cursor after, @Nullable Prepared prepared) {
        Sinks.Empty<Void> rang = Sinks.empty();
        Runnable wake = rang::tryEmitEmpty;
        Replay replay = node.pollOrWait(session, after, settings.batch(), wake, prepared);
        if (replay.reset() || !replay.entries().isEmpty() || poller.closedWith() != null) {
            return Mono.just(answer(replay, after, prepared));
        }
        return rang.asMono()
                .then(Mono.fromSupplier(() -> answer(node.pollOrWait(session, after, settings.batch(), () -> { }, prepared),
                        after, prepared)))
                .timeout(settings.hold(), Mono.fromSupplier(() -> new Answer(List.of(), node.idleCursor(session, after, prepared))))
                .doFinally(signal -> session.disarm(wake));
    }

    private Answer answer(Replay replay, Cursor after, @Nullable Prepared prepared) {
        if (replay.reset()) {
            Cursor now = node.currentCursor(prepared);
            return new Answer(List.of(frames.reset(now.text())), now);
        }
        if (replay.entries().isEmpty()) {
            return new Answer(List.of(), after);
        }
        Entry last = replay.entries().get(replay.entries().size() - 1);
        return new Answer(replay.entries().stream().map(Entry::frame).toList(),
                new Cursor(after.epoch(), last.seq(), last.ts()));
    }

    /** @param session the poller's session, or {@code null} when answering for one already closed */
    private Mono<Void> write(ServerHttpResponse response, Answer answer, @Nullable Session session) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes("{\"messages\":[".getBytes(StandardCharsets.UTF_8));
        boolean first = true;
        for (Frame frame : answer.messages()) {
            if (!first) {
                out.write(',');
            }
            out.writeBytes(frame.json());
            first = false;
        }
        Disconnect closed = session == null ? null : session.disconnect();
        if (closed != null && closed.code() != 1000) {
            if (!first) {
                out.write(',');
            }
            out.writeBytes(frames.close(closed.code(), closed.reason()).json());
        }
        String cursor = new PollCursor(answer.next(), closed == null && session != null ? session.clientId() : null).text();
        out.writeBytes(("],\"cursor\":\"" + cursor + "\"}").getBytes(StandardCharsets.UTF_8));
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().setCacheControl("no-store");
        return response.writeWith(Mono.just(response.bufferFactory().wrap(out.toByteArray())));
    }

    /** The poller named by the cursor when it is still here and the same uid's, else a new one. */
    private @Nullable Poller poller(ClientClaims claims, @Nullable String clientId) {
        if (clientId != null) {
            Poller known = pollers.get(clientId);
            Session session = known == null ? null : known.session();
            if (session != null && !session.isClosed() && session.uid().equals(claims.uid())) {
                return known;
            }
        }
        Poller[] created = new Poller[1];
        Poller poller = new Poller(settings.grace(), () -> {
            Poller p = created[0];
            Session s = p.session();
            if (s != null) {
                node.disconnected(s);
                if (p.closedByServer()) { // keep it to tell its next poll, then forget it
                    Schedulers.parallel().schedule(() -> pollers.remove(s.clientId(), p),
                            settings.grace().toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    pollers.remove(s.clientId(), p);
                }
            }
        });
        created[0] = poller;
        Session session = node.connectPoller(claims, poller);
        if (session == null) {
            return null;
        }
        poller.attach(session);
        pollers.put(session.clientId(), poller);
        return poller;
    }

    /** Pollers known now; for tests. */
    int pollerCount() {
        return pollers.size();
    }

}
