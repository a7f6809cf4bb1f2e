package io.pushgate.codec;

import java.io.OutputStream;
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

    public JsonFrames(JsonMapper mapper) {
        this.factory = ((JsonFactory) mapper.tokenStreamFactory()).rebuild()
                .recyclerPool(JsonRecyclerPools.threadLocalPool()).build();
        this.pong = Frame.control(write(g -> g.writeStringProperty("type", "pong")));
    }

    @Override
    public Frame encode(Message message) {
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
     */
    private static final class Sink extends OutputStream {
        private static final int KEEP = 16 * 1024;
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
    }
}
