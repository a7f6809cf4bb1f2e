package io.pushgate.core;

/**
 * The first 64 bytes of an object whose fields two cores write, so that no other object's fields share
 * their cache line: a class extends it, declares those fields, and is extended by a final class that ends
 * in 64 bytes of {@code long}s of its own (superclass fields come first, so the order is padding, fields,
 * padding).
 *
 * <p>{@link #p0} is what makes it work on the JVM this project targets: since JDK 15 the layout fills the
 * four-byte gap after an object's header with a small field of any class in the hierarchy, subclasses
 * included, and a padding of {@code long}s alone left a subclass's {@code int} or reference there, on
 * the line of whatever object was allocated (or copied by the collector) before it. Filled here, that gap
 * takes nothing of the subclass's. {@code PaddingTests} checks the offsets of every class built this way.
 */
@SuppressWarnings("unused")
abstract class Padding {
    private int p0;
    private long p1, p2, p3, p4, p5, p6, p7;
}
