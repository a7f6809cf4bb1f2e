package io.pushgate.core;

import java.util.AbstractQueue;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

import reactor.util.concurrent.Queues;

/**
 * A linked multi-producer queue with a hard capacity.
 *
 * <p>Linked rather than array-backed on purpose: an idle session holds no preallocated slots, which
 * keeps the memory of tens of thousands of quiet connections small; nodes exist only while frames wait.
 *
 * <p>Exempt elements (see {@link #exemptNext()}) are not counted and are taken first: they are older
 * than anything bounded (a welcome, a replay of missed messages) and are bounded by their source.
 */
final class BoundedQueue<T> extends AbstractQueue<T> {

    private final Queue<T> delegate = Queues.<T>unboundedMultiproducer().get();
    /** Elements outside the bound (a greeting, a replay of history); always taken before the others. */
    private final Queue<T> exempt = Queues.<T>unboundedMultiproducer().get();
    /** Set by the single producer that holds the owner's lock, for the next {@link #offer} only. */
    private boolean nextExempt;
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;

    BoundedQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** The next offer goes past the bound and ahead of bounded elements; caller holds the owner's lock. */
    void exemptNext() {
        nextExempt = true;
    }

    void clearExempt() {
        nextExempt = false;
    }

    @Override
    public boolean offer(T element) {
        if (nextExempt) {
            nextExempt = false;
            return exempt.offer(element);
        }
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            return false;
        }
        return delegate.offer(element);
    }

    @Override
    public @Nullable T poll() {
        T first = exempt.poll();
        if (first != null) {
            return first;
        }
        T element = delegate.poll();
        if (element != null) {
            size.decrementAndGet();
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
        return Math.max(0, size.get()) + exempt.size();
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
