package io.pushgate.transport.poll;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.pushgate.core.Disconnect;
import io.pushgate.core.Session;
import io.pushgate.core.Transport;

import org.jspecify.annotations.Nullable;

import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/**
 * A long-poll client between and during its polls. It stays a session (counted in presence) while a
 * poll is open and for a grace period after each one; a poller that stops polling is then closed like
 * any dropped connection.
 */
final class Poller implements Transport {

    private final Duration grace;
    private final Runnable expired;
    private volatile @Nullable Session session;
    private volatile @Nullable Disconnect closedWith;
    private @Nullable Disposable expiry;
    private int openPolls;

    Poller(Duration grace, Runnable expired) {
        this.grace = grace;
        this.expired = expired;
    }

    void attach(Session session) {
        this.session = session;
    }

    @Nullable Session session() {
        return session;
    }

    @Override
    public String name() {
        return "long-poll";
    }

    /**
     * The session is over. A poller closed by the server (kicked, shut down) is remembered for the grace
     * period, so that its next poll is answered with the close frame instead of quietly opening a new
     * session; one that simply stopped polling is forgotten at once.
     */
    @Override
    public void close(Disconnect disconnect) {
        closedWith = disconnect;
        Session s = session;
        if (s != null) {
            expired.run(); // out of presence now
        }
    }

    /** Whether a new poll with this poller's cursor must be told it was closed. */
    boolean closedByServer() {
        Disconnect d = closedWith;
        return d != null && d.code() != 1000;
    }

    @Nullable Disconnect closedWith() {
        return closedWith;
    }

    /** A poll started: the session must not expire while it is open. */
    synchronized void pollStarted() {
        openPolls++;
        if (expiry != null) {
            expiry.dispose();
            expiry = null;
        }
    }

    /** A poll answered: the session expires after the grace period unless another poll starts. */
    synchronized void pollEnded() {
        openPolls--;
        Session s = session;
        if (s != null && s.isClosed()) { // closed during the poll (drain, kick): gone now that it was told
            expired.run();
            return;
        }
        if (openPolls == 0 && closedWith == null) {
            expiry = Schedulers.parallel().schedule(this::expire, grace.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void expire() {
        synchronized (this) {
            if (openPolls > 0) {
                return;
            }
        }
        Session s = session;
        if (s != null) {
            s.close(new Disconnect(1000, "poller went away"));
        }
    }
}
