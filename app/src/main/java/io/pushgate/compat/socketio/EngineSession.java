package io.pushgate.compat.socketio;

import java.util.ArrayDeque;

import org.jspecify.annotations.Nullable;

import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * One Engine.IO v4 session: its outbound packets and the transport that carries them, long-polling
 * first (a held {@code GET} takes everything queued) or a WebSocket, from the start or after the
 * upgrade probe. Packets keep their order across the upgrade: one queue, drained by whichever transport
 * owns the session. Every method locks the session; none blocks.
 */
final class EngineSession {

    /** Separates packets in a polling body. */
    static final char SEPARATOR = '\u001e';

    interface Listener {

        /** A Socket.IO packet (the text after the Engine.IO {@code 4}). */
        void onMessage(EngineSession engine, String packet);

        /** The session ended, for whatever reason; called once. */
        void onClose(EngineSession engine, String reason);
    }

    final String sid;
    private final int capacity;
    private final Listener listener;
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private @Nullable MonoSink<String> parked;
    private Sinks.@Nullable Many<String> webSocket;
    private boolean upgrading;
    private boolean closed;
    private long pingSentAt;
    private long pongAt;
    private @Nullable Disposable pinger;

    EngineSession(String sid, int capacity, Listener listener) {
        this.sid = sid;
        this.capacity = capacity;
        this.listener = listener;
    }

    synchronized void pinger(Disposable pinger) {
        this.pinger = pinger;
    }

    /** Queues a packet, or writes it to the WebSocket that owns the session. A full queue ends the session. */
    boolean send(String packet) {
        boolean overflow;
        synchronized (this) {
            if (closed) {
                return false;
            }
            if (webSocket != null) {
                overflow = webSocket.tryEmitNext(packet).isFailure();
            } else {
                queue.add(packet);
                overflow = queue.size() > capacity;
                releaseParked();
            }
        }
        if (overflow) {
            close("slow client", false);
        }
        return !overflow;
    }

    /**
     * A long-poll {@code GET}: what is queued at once, else held until something is. During an upgrade
     * it answers a noop, so the client's poll loop ends and it can switch. Errors with
     * {@link IllegalStateException} when another {@code GET} is already held, which ends the session.
     */
    Mono<String> poll() {
        return Mono.create(sink -> {
            boolean twice;
            synchronized (this) {
                twice = parked != null;
                if (!twice) {
                    if (webSocket != null && !closed) {
                        sink.success("6"); // a poll that lost the race with the upgrade
                        return;
                    }
                    parked = sink;
                    sink.onDispose(() -> unpark(sink));
                    if (!queue.isEmpty() || upgrading || closed) {
                        releaseParked(); // an ended session answers what was left and close (1)
                    }
                }
            }
            if (twice) {
                close("overlapping polls", false);
                sink.error(new IllegalStateException("a poll is already waiting"));
            }
        });
    }

    private synchronized void unpark(MonoSink<String> sink) {
        if (parked == sink) {
            parked = null;
        }
    }

    /** Hands the held poll everything queued (a noop if nothing is: the upgrade or the end needs it released). */
    private void releaseParked() {
        MonoSink<String> sink = parked;
        if (sink == null) {
            return;
        }
        parked = null;
        if (queue.isEmpty()) {
            sink.success(closed ? "1" : "6");
            return;
        }
        StringBuilder body = new StringBuilder();
        for (String packet : queue) {
            if (body.length() > 0) {
                body.append(SEPARATOR);
            }
            body.append(packet);
        }
        queue.clear();
        sink.success(body.toString());
    }

    /** A polling {@code POST} body: packets separated by {@link #SEPARATOR}. */
    void receive(String body) {
        int from = 0;
        while (from <= body.length()) {
            int end = body.indexOf(SEPARATOR, from);
            if (end < 0) {
                end = body.length();
            }
            if (end > from) {
                onPacket(body.substring(from, end));
            }
            from = end + 1;
        }
    }

    /** One Engine.IO packet from the client, over either transport. */
    void onPacket(String packet) {
        switch (packet.charAt(0)) {
            case '3' -> {
                synchronized (this) {
                    pongAt = System.nanoTime();
                }
            }
            case '4' -> listener.onMessage(this, packet.substring(1));
            case '1' -> close("client closed", false);
            default -> {
                // 2 (a client ping: Engine.IO 3 only), 6 (noop) and anything unknown: nothing to do
            }
        }
    }

    /** A WebSocket of this session sent {@code 2probe}: answer it and release the held poll. */
    synchronized void probe(Sinks.Many<String> probing) {
        probing.tryEmitNext("3probe");
        upgrading = true;
        releaseParked();
    }

    /** The probing WebSocket sent {@code 5}: from now on it carries the session, starting with what is queued. */
    void upgrade(Sinks.Many<String> socket) {
        boolean overflow = false;
        synchronized (this) {
            if (closed) {
                socket.tryEmitComplete();
                return;
            }
            upgrading = false;
            webSocket = socket;
            for (String packet : queue) {
                overflow |= socket.tryEmitNext(packet).isFailure();
            }
            queue.clear();
            releaseParked();
        }
        if (overflow) {
            close("slow client", false);
        }
    }

    /** A WebSocket that carried the session from its handshake. */
    synchronized void attach(Sinks.Many<String> socket) {
        webSocket = socket;
    }

    synchronized boolean carriedBy(Sinks.Many<String> socket) {
        return webSocket == socket;
    }

    /**
     * A ping tick: ends the session when the last ping got no pong in time, else sends the next ping.
     * Engine.IO 4 pings from the server and the client answers, so browsers' throttled background
     * timers cannot cause false timeouts.
     */
    void tick(long pingTimeoutNanos) {
        boolean timedOut;
        synchronized (this) {
            long now = System.nanoTime();
            timedOut = pingSentAt != 0 && pongAt - pingSentAt < 0 && now - pingSentAt > pingTimeoutNanos;
            if (!timedOut) {
                pingSentAt = now;
            }
        }
        if (timedOut) {
            close("ping timeout", false);
        } else {
            send("2");
        }
    }

    /**
     * Ends the session: the client gets Engine.IO {@code close} (so it reconnects), after
     * {@code disconnectFirst} a Socket.IO disconnect of namespace {@code /} (so it does not).
     */
    void close(String reason, boolean disconnectFirst) {
        Disposable timer;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (disconnectFirst) {
                sendLast("41");
            }
            sendLast("1");
            timer = pinger;
            if (webSocket != null) {
                webSocket.tryEmitComplete();
            }
            releaseParked();
        }
        if (timer != null) {
            timer.dispose();
        }
        listener.onClose(this, reason);
    }

    /** A packet of the end, past the bound: the client should learn why the session ended. */
    private void sendLast(String packet) {
        if (webSocket != null) {
            webSocket.tryEmitNext(packet);
        } else {
            queue.add(packet);
        }
    }
}
