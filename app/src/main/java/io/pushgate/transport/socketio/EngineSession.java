package io.pushgate.transport.socketio;

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
 *
 * <p>Engine.IO 3 (socket.io-client 1 and 2, as web-msg-sender's pages load) differs in three ways
 * handled here: a polling body frames each packet with its length ({@code 6:4hello}), the client
 * pings and the server answers, and the open packet has no {@code maxPayload}.
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
    /** Engine.IO 3 rather than 4. */
    final boolean eio3;
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

    EngineSession(String sid, boolean eio3, int capacity, Listener listener) {
        this.sid = sid;
        this.eio3 = eio3;
        this.pongAt = System.nanoTime(); // Engine.IO 3: the client's first ping is due within an interval
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
            queue.add(closed ? "1" : "6");
        }
        StringBuilder body = new StringBuilder();
        for (String packet : queue) {
            if (eio3) {
                body.append(packet.length()).append(':'); // in UTF-16 units, as JavaScript counts them
            } else if (body.length() > 0) {
                body.append(SEPARATOR);
            }
            body.append(packet);
        }
        queue.clear();
        sink.success(body.toString());
    }

    /**
     * A polling {@code POST} body: packets separated by {@link #SEPARATOR} (Engine.IO 4) or each after its
     * length and a colon (Engine.IO 3). A malformed Engine.IO 3 body ends the session.
     */
    void receive(String body) {
        if (eio3) {
            receiveFramed(body);
            return;
        }
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

    private void receiveFramed(String body) {
        int at = 0;
        while (at < body.length()) {
            int colon = body.indexOf(':', at);
            int length;
            try {
                length = colon < 0 ? -1 : Integer.parseInt(body, at, colon, 10);
            } catch (NumberFormatException e) {
                length = -1;
            }
            if (length < 1 || colon + 1 + length > body.length()) {
                close("bad payload", false);
                return;
            }
            onPacket(body.substring(colon + 1, colon + 1 + length));
            at = colon + 1 + length;
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
            case '2' -> {
                if (eio3) { // Engine.IO 3: the client pings, the server answers with the same payload
                    synchronized (this) {
                        pongAt = System.nanoTime();
                    }
                    send("3" + packet.substring(1));
                }
            }
            default -> {
                // 6 (noop) and anything unknown: nothing to do
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
     * A ping tick: ends the session when the last ping got no pong in time, else sends the next ping
     * (Engine.IO 3: ends it when the client has not pinged for an interval and a timeout).
     * Engine.IO 4 pings from the server and the client answers, so browsers' throttled background
     * timers cannot cause false timeouts.
     */
    void tick(long pingIntervalNanos, long pingTimeoutNanos) {
        if (eio3) { // the client pings: end the session when it has been silent too long
            boolean silent;
            synchronized (this) {
                silent = System.nanoTime() - pongAt > pingIntervalNanos + pingTimeoutNanos;
            }
            if (silent) {
                close("ping timeout", false);
            }
            return;
        }
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
