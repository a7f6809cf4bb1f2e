package io.pushgate.bench;

import java.util.Locale;

/** The little JSON this tool needs: writing a flat result object, and finding numbers in answers. */
final class Json {

    private Json() {
    }

    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Sum of every integer value of {@code "key":} in {@code text} (one answer, or a batch's array of answers). */
    static long sumOf(String text, String key) {
        String needle = "\"" + key + "\":";
        long sum = 0;
        int at = text.indexOf(needle);
        while (at >= 0) {
            int i = at + needle.length();
            long v = 0;
            boolean any = false;
            while (i < text.length() && Character.isDigit(text.charAt(i))) {
                v = v * 10 + (text.charAt(i++) - '0');
                any = true;
            }
            if (any) {
                sum += v;
            }
            at = text.indexOf(needle, i);
        }
        return sum;
    }

    /** The first integer value of {@code "key":} after {@code from}, or -1. */
    static long firstAfter(String text, String from, String key) {
        int start = text.indexOf(from);
        if (start < 0) {
            return -1;
        }
        String needle = "\"" + key + "\":";
        int at = text.indexOf(needle, start);
        if (at < 0) {
            return -1;
        }
        int i = at + needle.length();
        long v = 0;
        boolean any = false;
        while (i < text.length() && Character.isDigit(text.charAt(i))) {
            v = v * 10 + (text.charAt(i++) - '0');
            any = true;
        }
        return any ? v : -1;
    }

    /** Builds one flat JSON object, members in insertion order. */
    static final class Obj {
        private final StringBuilder out = new StringBuilder(1024).append('{');
        private boolean first = true;

        private StringBuilder name(String name) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, name);
            return out.append(':');
        }

        Obj put(String name, String value) {
            if (value == null) {
                name(name).append("null");
            } else {
                string(name(name), value);
            }
            return this;
        }

        Obj put(String name, long value) {
            name(name).append(value);
            return this;
        }

        Obj put(String name, double value) {
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                name(name).append("null");
            } else {
                name(name).append(String.format(Locale.ROOT, "%.3f", value));
            }
            return this;
        }

        Obj put(String name, boolean value) {
            name(name).append(value);
            return this;
        }

        /** {@code json} as it is: an array, say. */
        Obj putRaw(String name, String json) {
            name(name).append(json);
            return this;
        }

        Obj putNull(String name) {
            name(name).append("null");
            return this;
        }

        @Override
        public String toString() {
            return out + "}";
        }
    }
}
