package io.pushgate.core;

/**
 * Where a node's {@link BackendEvent}s go: an adapter that delivers them to the backend. The node calls it
 * on its own threads, sometimes while it holds its locks, so {@link #send} must never block or wait for
 * I/O: it queues the event, or drops and counts it when its bound is reached.
 */
public interface BackendEvents {

    /** Sends nothing: the node builds no event. */
    BackendEvents NONE = new BackendEvents() {
        @Override
        public boolean wants(BackendEvent.Type type) {
            return false;
        }

        @Override
        public void send(BackendEvent event) {
        }
    };

    /** Whether events of the type go anywhere; the node builds none that do not. */
    boolean wants(BackendEvent.Type type);

    /** Queues the event for the backend; never blocks. */
    void send(BackendEvent event);
}
