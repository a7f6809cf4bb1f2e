package io.pushgate.core;

/**
 * The stream a delivered message came through, as shown to the client in the message's {@code to}.
 *
 * <p>A key of the history's and the hub's maps on every publish, so its hash is computed once, from the
 * kind's ordinal rather than the enum's identity hash.
 */
public final class Address {

    public enum Kind { UID, GROUP, CLIENT, ALL }

    public static final Address ALL = new Address(Kind.ALL, "all");

    private final Kind kind;
    private final String name;
    private final int hash;

    public Address(Kind kind, String name) {
        this.kind = java.util.Objects.requireNonNull(kind);
        this.name = java.util.Objects.requireNonNull(name);
        this.hash = 31 * name.hashCode() + kind.ordinal();
    }

    public static Address uid(String uid) {
        return new Address(Kind.UID, uid);
    }

    public static Address group(String group) {
        return new Address(Kind.GROUP, group);
    }

    public static Address client(String clientId) {
        return new Address(Kind.CLIENT, clientId);
    }

    public Kind kind() {
        return kind;
    }

    public String name() {
        return name;
    }

    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof Address a && a.hash == hash && a.kind == kind && a.name.equals(name);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return kind == Kind.ALL ? "all" : kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + name;
    }
}
