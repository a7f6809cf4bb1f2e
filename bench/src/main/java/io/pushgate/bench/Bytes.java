package io.pushgate.bench;

/** Byte searches the generator and the event sink share when they read raw HTTP and frames. */
final class Bytes {

    private Bytes() {
    }

    /** Where {@code needle} first starts in {@code buf[from, to)}, or -1. */
    static int indexOf(byte[] buf, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i + needle.length <= to; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
