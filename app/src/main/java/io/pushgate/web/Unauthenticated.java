package io.pushgate.web;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.jspecify.annotations.Nullable;

/**
 * Counts connections that are open but not yet authenticated (a {@code /ws} waiting for its {@code auth}
 * frame, an Engine.IO session before its socket joins), per node and per peer address, and refuses one past either cap: such a connection costs
 * memory before anyone is known to be behind it, so without a cap a single host could hold the node's
 * memory with idle handshakes.
 *
 * <p>The peer address is the connection's own remote address, never a forwarded header: a header is
 * whatever the client writes. Behind a proxy every client shares the proxy's address, so the
 * per-address cap should then be raised to the node's. Thread-safe; admission and release are a few
 * atomic operations, and an address's entry is removed when its count falls to zero, so the map holds
 * only addresses with connections pending.
 */
public final class Unauthenticated {

    private final int maxPerNode;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<Object, Integer> perAddress = new ConcurrentHashMap<>();

    /**
     * @param maxPerNode    unauthenticated connections on the node at once
     * @param maxPerAddress unauthenticated connections from one peer address at once
     */
    public Unauthenticated(int maxPerNode, int maxPerAddress) {
        if (maxPerNode < 1 || maxPerAddress < 1) {
            throw new IllegalArgumentException("caps must be at least 1");
        }
        this.maxPerNode = maxPerNode;
        this.maxPerAddress = maxPerAddress;
    }

    /** A place taken; give it back with {@link #release()} once the connection authenticates or ends (idempotent). */
    public final class Permit {
        private final Object address;
        private volatile int released;

        private Permit(Object address) {
            this.address = address;
        }

        public void release() {
            if (RELEASED.compareAndSet(this, 0, 1)) {
                perAddress.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
                total.decrementAndGet();
            }
        }
    }

    private static final AtomicIntegerFieldUpdater<Permit> RELEASED =
            AtomicIntegerFieldUpdater.newUpdater(Permit.class, "released");

    /** A place for a connection from {@code remote}, or {@code null} when the node or that address is at its cap. */
    public @Nullable Permit admit(@Nullable SocketAddress remote) {
        if (total.incrementAndGet() > maxPerNode) {
            total.decrementAndGet();
            return null;
        }
        Object address = key(remote);
        boolean[] admitted = {false};
        perAddress.compute(address, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= maxPerAddress) {
                return count;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
            return null;
        }
        return new Permit(address);
    }

    /** Connections counted now, on the whole node. */
    public int count() {
        return total.get();
    }

    private static Object key(@Nullable SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            InetAddress address = inet.getAddress();
            return address != null ? address : inet.getHostString();
        }
        return remote == null ? "unknown" : remote.toString(); // a domain socket: one shared place
    }
}
