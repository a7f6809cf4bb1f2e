package io.pushgate.core;

/**
 * What a uid, group or client id may look like: 1 to 128 characters, no control characters and no
 * whitespace. Checked at every entry point so a bad name is a clear 400, never a silent miss.
 */
public final class Names {

    public static final int MAX_LENGTH = 128;

    private Names() {
    }

    public static boolean isValid(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c)) {
                return false;
            }
        }
        return true;
    }

    /** @throws IllegalArgumentException naming the kind of name and the limit */
    public static String require(String kind, String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException(kind + " must be 1-" + MAX_LENGTH
                    + " characters without spaces or control characters");
        }
        return name;
    }
}
