package io.pushgate.codec;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.function.Consumer;

import io.pushgate.core.Address;
import io.pushgate.core.Frame;
import io.pushgate.core.Message;
import io.pushgate.core.MessageEncoder;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.json.JsonMapper;

/**
 * Encodes the server-to-client frames of the contract ({@code api-spec/asyncapi.yaml}).
 *
 * <p>Messages are written with the payload copied in as raw, already-validated JSON text, so a publish
 * costs one serialisation per stream and no tree walk of the payload. The control frame that never changes
 * ({@code pong}) is encoded once at start-up; a heartbeat {@code ping} once per tick for all sessions.
 */
public final class JsonFrames implements MessageEncoder {

    /**
     * The mapper's stream factory with buffers recycled per thread. Jackson's default pool is one deque
     * shared by every thread, so two event loops encoding at once took turns at it and handed each other
     * the same buffers (cache lines that moved between cores on every publish). Frames are written token by
     * token, so they need nothing of the mapper's databind configuration.
     */
    private final JsonFactory factory;
    private final Frame pong;
    /** Whether message frames are written by hand: only where that writes what {@link #factory} writes. */
    private final boolean byHand;

    public JsonFrames(JsonMapper mapper) {
        this.factory = ((JsonFactory) mapper.tokenStreamFactory()).rebuild()
                .recyclerPool(JsonRecyclerPools.threadLocalPool()).build();
        this.pong = Frame.control(write(g -> g.writeStringProperty("type", "pong")));
        this.byHand = factory.getCharacterEscapes() == null
                && Arrays.equals(SINK.get().message(CANARY), encodeWithJackson(CANARY).json());
    }

    /**
     * A message with each kind of character the hand-written path treats apart. A stream factory set to
     * write otherwise (non-ASCII or slashes escaped, lower-case hex, numbers as strings, surrogates apart,
     * another quote) writes it otherwise, and then Jackson writes all messages. Custom escapes may pick
     * any character, so a factory with them is not tried.
     */
    private static final Message CANARY = new Message("\u0000\u0001\b\t\n\f\r\u001F \"\\/\u007F",
            "\u00E9\u07FF\u0800\u2028\uFFFF\uD83D\uDE00", "{\"a\":[1,\"\u00E9\\u00e9\uD83D\uDE00\"]}",
            Address.uid("\u4E2D"), Long.MIN_VALUE);

    /**
     * Writes the frame by hand into this thread's buffer: a generator per frame was about a third of
     * what a publish allocated. The bytes are those {@link #encodeWithJackson} writes for the same
     * message ({@code JsonFramesMessagePropertyTests} compares the two); a message the hand-written
     * path cannot write identically (a lone surrogate, a null member) is written by Jackson.
     */
    @Override
    public Frame encode(Message message) {
        byte[] json = writeByHand(message);
        return json != null ? new Frame(json, message.id(), message.event()) : encodeWithJackson(message);
    }

    /** The hand-written frame, or {@code null} for a message only Jackson writes (see {@link Sink#message}). */
    byte @Nullable [] writeByHand(Message message) {
        return byHand ? SINK.get().message(message) : null;
    }

    /** The reference encoding of a message, and the one used for what {@link #encode} cannot write. */
    Frame encodeWithJackson(Message message) {
        byte[] json = write(g -> {
            g.writeStringProperty("type", "message");
            g.writeStringProperty("id", message.id());
            g.writeStringProperty("event", message.event());
            g.writeName("data");
            g.writeRawValue(message.dataJson());
            g.writeName("to");
            g.writeStartObject();
            writeAddress(g, message.to());
            g.writeEndObject();
            g.writeNumberProperty("ts", message.ts());
        });
        return new Frame(json, message.id(), message.event());
    }

    private static void writeAddress(JsonGenerator g, Address to) {
        switch (to.kind()) {
            case UID -> g.writeStringProperty("uid", to.name());
            case GROUP -> g.writeStringProperty("group", to.name());
            case CLIENT -> g.writeStringProperty("client", to.name());
            case ALL -> g.writeBooleanProperty("all", true);
        }
    }

    @Override
    public Frame ping(String cursor) {
        return new Frame(write(g -> {
            g.writeStringProperty("type", "ping");
            g.writeStringProperty("cursor", cursor);
        }), cursor, "ping");
    }

    public Frame pong() {
        return pong;
    }

    /**
     * The first frame of a session. {@code cursor} is where the session starts: a client that has
     * received no message yet resumes from it.
     */
    public Frame welcome(String clientId, String uid, long heartbeatMillis, Collection<String> groups, String cursor) {
        return new Frame(write(g -> {
            g.writeStringProperty("type", "welcome");
            g.writeStringProperty("clientId", clientId);
            g.writeStringProperty("uid", uid);
            g.writeNumberProperty("heartbeat", heartbeatMillis);
            g.writeArrayPropertyStart("groups");
            for (String group : new java.util.TreeSet<>(groups)) {
                g.writeString(group);
            }
            g.writeEndArray();
            g.writeStringProperty("cursor", cursor);
        }), cursor, "welcome"); // as the SSE id, so a stream that drops before any message still resumes
    }

    @Override
    public Frame reset(String cursor) {
        return new Frame(write(g -> {
            g.writeStringProperty("type", "reset");
            g.writeStringProperty("cursor", cursor);
        }), cursor, "reset"); // as the SSE id, so the browser resumes from here and not from before the reset
    }

    /** Tells an SSE or long-poll client why the server ended its session. */
    public Frame close(int code, String reason) {
        return new Frame(write(g -> {
            g.writeStringProperty("type", "close");
            g.writeNumberProperty("code", code);
            g.writeStringProperty("reason", reason);
        }), null, "close");
    }

    /** A successful reply; {@code result} members are written as given (strings or numbers). */
    public Frame ok(@Nullable Long ref, @Nullable Consumer<JsonGenerator> result) {
        return Frame.control(write(g -> {
            g.writeStringProperty("type", "reply");
            writeRef(g, ref);
            g.writeBooleanProperty("ok", true);
            if (result != null) {
                g.writeName("result");
                g.writeStartObject();
                result.accept(g);
                g.writeEndObject();
            }
        }));
    }

    /** The reply to a call ({@code rpc}): the backend's answer as {@code data}, copied in as its exact JSON text. */
    public Frame answer(long ref, String dataJson) {
        return Frame.control(write(g -> {
            g.writeStringProperty("type", "reply");
            g.writeNumberProperty("ref", ref);
            g.writeBooleanProperty("ok", true);
            g.writeName("data");
            g.writeRawValue(dataJson);
        }));
    }

    /** A failed reply. {@code ref} is absent when the frame had none or could not be read. */
    public Frame error(@Nullable Long ref, String code, String message) {
        return Frame.control(write(g -> {
            g.writeStringProperty("type", "reply");
            writeRef(g, ref);
            g.writeBooleanProperty("ok", false);
            g.writeName("error");
            g.writeStartObject();
            g.writeStringProperty("code", code);
            g.writeStringProperty("message", message);
            g.writeEndObject();
        }));
    }

    private static void writeRef(JsonGenerator g, @Nullable Long ref) {
        if (ref != null) {
            g.writeNumberProperty("ref", ref.longValue());
        }
    }

    private byte[] write(Consumer<JsonGenerator> body) {
        Sink out = SINK.get();
        out.reset();
        try (JsonGenerator g = factory.createGenerator(ObjectWriteContext.empty(), out)) {
            g.writeStartObject();
            body.accept(g);
            g.writeEndObject();
        }
        return out.take();
    }

    /**
     * Where a frame is written before its bytes are copied out, one per thread and reused: a new
     * {@code ByteArrayOutputStream} per frame allocated its buffer twice (a message frame outgrows 128
     * bytes) besides the copy, about a fifth of a uid push's allocation, which on a busy node is GC work
     * taken from the publishing threads.
     */
    private static final ThreadLocal<Sink> SINK = ThreadLocal.withInitial(Sink::new);

    /**
     * A growable byte buffer, reset for each frame; one grown past {@link #KEEP} is let go after the frame.
     * Not a {@code ByteArrayOutputStream}: its methods are synchronized, a lock taken per call for nothing.
     * Jackson writes the other frames into it; it writes message frames itself ({@link #message}).
     */
    private static final class Sink extends OutputStream {
        private static final int KEEP = 16 * 1024;

        private static final byte[] MESSAGE_ID = ascii("{\"type\":\"message\",\"id\":\"");
        private static final byte[] EVENT = ascii("\",\"event\":\"");
        private static final byte[] DATA = ascii("\",\"data\":");
        private static final byte[] TO_UID = ascii(",\"to\":{\"uid\":\"");
        private static final byte[] TO_GROUP = ascii(",\"to\":{\"group\":\"");
        private static final byte[] TO_CLIENT = ascii(",\"to\":{\"client\":\"");
        private static final byte[] TO_ALL = ascii(",\"to\":{\"all\":true");
        private static final byte[] TS = ascii("},\"ts\":");
        private static final byte[] HEX = ascii("0123456789ABCDEF");

        /**
         * How Jackson 3's default generator escapes each ASCII character in a string: not at all (0), as
         * a backslash and this letter, or ({@code 'u'}) as <code>&#92;u00XX</code> with upper-case hex. Only the
         * quote, the backslash and the controls below 0x20 are escaped; {@code /} and DEL are not.
         */
        private static final byte[] STRING_ESCAPES = new byte[128];
        /** Raw JSON text is copied as it is, controls included, as {@code writeRawValue} does. */
        private static final byte[] NO_ESCAPES = new byte[128];

        static {
            Arrays.fill(STRING_ESCAPES, 0, 0x20, (byte) 'u');
            STRING_ESCAPES['\b'] = 'b';
            STRING_ESCAPES['\t'] = 't';
            STRING_ESCAPES['\n'] = 'n';
            STRING_ESCAPES['\f'] = 'f';
            STRING_ESCAPES['\r'] = 'r';
            STRING_ESCAPES['"'] = '"';
            STRING_ESCAPES['\\'] = '\\';
        }

        private byte[] buf = new byte[512];
        private int count;

        void reset() {
            count = 0;
        }

        @Override
        public void write(int b) {
            room(1);
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            room(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        @Override
        public void write(byte[] b) {
            write(b, 0, b.length);
        }

        /**
         * The message frame, byte for byte as {@link JsonFrames#encodeWithJackson} writes it, or
         * {@code null} where that is not promised: a lone surrogate anywhere (Jackson escapes one in a
         * string as <code>&#92;uD83D</code> and refuses one in the raw data) or a null member.
         */
        byte @Nullable [] message(Message message) {
            String id = message.id();
            String event = message.event();
            String data = message.dataJson();
            Address to = message.to();
            if (id == null || event == null || data == null) {
                return null;
            }
            reset();
            write(MESSAGE_ID);
            if (!utf8(id, STRING_ESCAPES)) {
                return null;
            }
            write(EVENT);
            if (!utf8(event, STRING_ESCAPES)) {
                return null;
            }
            write(DATA);
            if (!utf8(data, NO_ESCAPES)) {
                return null;
            }
            write(switch (to.kind()) {
                case UID -> TO_UID;
                case GROUP -> TO_GROUP;
                case CLIENT -> TO_CLIENT;
                case ALL -> TO_ALL;
            });
            if (to.kind() != Address.Kind.ALL) {
                if (!utf8(to.name(), STRING_ESCAPES)) {
                    return null;
                }
                write('"');
            }
            write(TS);
            decimal(message.ts());
            write('}');
            return take();
        }

        /**
         * Appends {@code s} as UTF-8, an ASCII character escaped as {@code escapes} says, a surrogate pair
         * as one 4-byte sequence. False, with part of {@code s} written, at a lone surrogate.
         */
        private boolean utf8(String s, byte[] escapes) {
            int len = s.length();
            int i = 0;
            room(len);
            for (; i < len; i++) { // the common case, ASCII needing no escape, in room made once
                char c = s.charAt(i);
                if (c >= 0x80 || escapes[c] != 0) {
                    break;
                }
                buf[count++] = (byte) c;
            }
            for (; i < len; i++) {
                room(6);
                char c = s.charAt(i);
                if (c < 0x80) {
                    byte escape = escapes[c];
                    if (escape == 0) {
                        buf[count++] = (byte) c;
                    } else if (escape == 'u') {
                        buf[count++] = '\\';
                        buf[count++] = 'u';
                        buf[count++] = '0';
                        buf[count++] = '0';
                        buf[count++] = HEX[c >> 4];
                        buf[count++] = HEX[c & 0xF];
                    } else {
                        buf[count++] = '\\';
                        buf[count++] = escape;
                    }
                } else if (c < 0x800) {
                    buf[count++] = (byte) (0xC0 | c >> 6);
                    buf[count++] = (byte) (0x80 | c & 0x3F);
                } else if (!Character.isSurrogate(c)) {
                    buf[count++] = (byte) (0xE0 | c >> 12);
                    buf[count++] = (byte) (0x80 | c >> 6 & 0x3F);
                    buf[count++] = (byte) (0x80 | c & 0x3F);
                } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    buf[count++] = (byte) (0xF0 | cp >> 18);
                    buf[count++] = (byte) (0x80 | cp >> 12 & 0x3F);
                    buf[count++] = (byte) (0x80 | cp >> 6 & 0x3F);
                    buf[count++] = (byte) (0x80 | cp & 0x3F);
                } else {
                    return false;
                }
            }
            return true;
        }

        /** Appends {@code v} in decimal, as {@code Long.toString} writes it. */
        private void decimal(long v) {
            room(20);
            if (v < 0) {
                buf[count++] = '-';
            } else {
                v = -v; // digits are taken from the negative, which holds Long.MIN_VALUE too
            }
            int end = count + 1;
            for (long rest = v / 10; rest != 0; rest /= 10) {
                end++;
            }
            for (int at = end - 1; at >= count; at--) {
                buf[at] = (byte) ('0' - v % 10);
                v /= 10;
            }
            count = end;
        }

        private void room(int more) {
            if (count + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
            }
        }

        byte[] take() {
            byte[] bytes = Arrays.copyOf(buf, count);
            if (buf.length > KEEP) {
                buf = new byte[512];
            }
            return bytes;
        }

        private static byte[] ascii(String s) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }
    }
}
