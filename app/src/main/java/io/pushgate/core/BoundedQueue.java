package io.pushgate.core;

import java.util.AbstractQueue;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.jspecify.annotations.Nullable;

import reactor.util.concurrent.Queues;

/**
 * A linked multi-producer queue with a hard capacity.
 *
 * <p>Linked rather than array-backed on purpose: an idle session holds no preallocated slots, which
 * keeps the memory of tens of thousands of quiet connections small; nodes exist only while frames wait.
 *
 * <p>First elements (see {@link #exemptNext()}) are taken before the others, since they are older than
 * anything queued (a welcome, a replay of missed messages). They have an allowance of their own
 * ({@link Outlet#FIRST_ALLOWANCE} capacities), and while they wait the others may still fill a capacity:
 * the queue never holds more than {@code (1 + FIRST_ALLOWANCE) * capacity}, by any path.
 */
final class BoundedQueue<T> extends AbstractQueue<T> {

    private final Queue<T> delegate = Queues.<T>unboundedMultiproducer().get();
    /** Elements ahead of the others (a greeting, a replay of history), counted in {@link #size}; always taken first. */
    private final Queue<T> exempt = Queues.<T>unboundedMultiproducer().get();
    /** Set by the single producer that holds the owner's lock, for the next {@link #offer} only. */
    private boolean nextExempt;
    private final AtomicInteger size = new AtomicInteger();
    /** First elements taken in since the queue last held no more than a capacity: the others may wait on top of them. */
    private volatile int extra;
    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<BoundedQueue> EXTRA = AtomicIntegerFieldUpdater.newUpdater(BoundedQueue.class, "extra");
    private final int capacity;

    BoundedQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** The next offer goes ahead of the others (still within the capacity); caller holds the owner's lock. */
    void exemptNext() {
        nextExempt = true;
    }

    void clearExempt() {
        nextExempt = false;
    }

    @Override
    public boolean offer(T element) {
        boolean first = nextExempt;
        nextExempt = false;
        int limit = first ? capacity * (1 + Outlet.FIRST_ALLOWANCE) : capacity + extra;
        if (size.incrementAndGet() > limit) {
            size.decrementAndGet();
            return false;
        }
        if (!first) {
            return delegate.offer(element);
        }
        exempt.offer(element);
        if (extra < capacity * Outlet.FIRST_ALLOWANCE) { // first elements come one producer at a time
            EXTRA.incrementAndGet(this);
        }
        return true;
    }

    @Override
    public @Nullable T poll() {
        T element = exempt.poll();
        if (element == null) {
            element = delegate.poll();
        }
        if (element != null) {
            int left = size.decrementAndGet();
            int e = extra; // read before the checks: a first offer after them changes it, and the reset fails
            if (e > 0 && left <= capacity && exempt.isEmpty()) {
                EXTRA.compareAndSet(this, e, 0); // the first elements are out: the others are back to one capacity
            }
        }
        return element;
    }

    @Override
    public @Nullable T peek() {
        T first = exempt.peek();
        return first != null ? first : delegate.peek();
    }

    @Override
    public int size() {
        return Math.max(0, size.get());
    }

    /** How many more first elements fit now. */
    int room() {
        return Math.max(0, capacity * (1 + Outlet.FIRST_ALLOWANCE) - size.get());
    }

    @Override
    public boolean isEmpty() {
        return exempt.isEmpty() && delegate.isEmpty();
    }

    @Override
    public Iterator<T> iterator() {
        java.util.List<T> all = new java.util.ArrayList<>(exempt);
        all.addAll(delegate);
        return all.iterator();
    }

    @Override
    public void clear() {
        while (poll() != null) {
            // drain so the counter stays true
        }
    }
}
