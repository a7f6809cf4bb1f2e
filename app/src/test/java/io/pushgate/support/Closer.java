package io.pushgate.support;

/** Stops test fixtures in the order given, each even when an earlier one fails or was stopped already. */
public final class Closer {

    private Closer() {
    }

    public static void closeAll(AutoCloseable... fixtures) {
        for (AutoCloseable c : fixtures) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("could not stop " + c + ": " + e);
            }
        }
    }
}
