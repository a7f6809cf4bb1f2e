package io.pushgate.core;

/**
 * The stream a delivered message came through, as shown to the client in the message's {@code to}.
 */
public record Address(Kind kind, String name) {

    public enum Kind { UID, GROUP, CLIENT, ALL }

    public static final Address ALL = new Address(Kind.ALL, "all");

    public static Address uid(String uid) {
        return new Address(Kind.UID, uid);
    }

    public static Address group(String group) {
        return new Address(Kind.GROUP, group);
    }

    public static Address client(String clientId) {
        return new Address(Kind.CLIENT, clientId);
    }
}
