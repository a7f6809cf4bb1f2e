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
 */
final class BoundedQueue<T> extends AbstractQueue<T> {

    private final Queue<T> delegate = Queues.<T>unboundedMultiproducer().get();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;

    BoundedQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    @Override
    public boolean offer(T element) {
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            return false;
        }
        return delegate.offer(element);
    }

    @Override
    public @Nullable T poll() {
        T element = delegate.poll();
        if (element != null) {
            size.decrementAndGet();
        }
        return element;
    }

    @Override
    public @Nullable T peek() {
        return delegate.peek();
    }

    @Override
    public int size() {
        return Math.max(0, size.get());
    }

    @Override
    public boolean isEmpty() {
        return delegate.isEmpty();
    }

    @Override
    public Iterator<T> iterator() {
        return delegate.iterator();
    }

    @Override
    public void clear() {
        while (poll() != null) {
            // drain so the counter stays true
        }
    }
}
