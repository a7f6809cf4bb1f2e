package io.pushgate.events;

import java.io.ByteArrayOutputStream;
import java.util.List;

import io.pushgate.core.BackendEvent;

import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes event batches as the backend reads them: {@code {"events":[…]}}, each event with {@code id},
 * {@code type}, {@code uid}, {@code clientId}, {@code node}, {@code ts}, {@code transport} (when known) and
 * {@code session} ({@code {}} when none), plus {@code group} (join, leave), {@code event} and {@code data}
 * (message), {@code code} and {@code reason} (disconnect). Session data and a message's data are copied in as
 * the exact JSON text they were given.
 */
final class EventJson {

    private final JsonMapper mapper;

    EventJson(JsonMapper mapper) {
        this.mapper = mapper;
    }

    byte[] batch(List<BackendEvent> events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * events.size());
        try (JsonGenerator g = mapper.createGenerator(out)) {
            g.writeStartObject();
            g.writeName("events");
            g.writeStartArray();
            for (BackendEvent e : events) {
                write(g, e);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, BackendEvent e) {
        g.writeStartObject();
        g.writeStringProperty("id", e.id());
        g.writeStringProperty("type", e.type().wireName());
        g.writeStringProperty("uid", e.uid());
        g.writeStringProperty("clientId", e.clientId());
        g.writeStringProperty("node", e.node());
        g.writeNumberProperty("ts", e.ts());
        if (e.transport() != null) {
            g.writeStringProperty("transport", e.transport());
        }
        g.writeName("session");
        g.writeRawValue(e.session() == null ? "{}" : e.session());
        if (e.group() != null) {
            g.writeStringProperty("group", e.group());
        }
        if (e.type() == BackendEvent.Type.MESSAGE) {
            g.writeStringProperty("event", e.event());
            g.writeName("data");
            g.writeRawValue(e.data() == null ? "null" : e.data());
        }
        if (e.type() == BackendEvent.Type.DISCONNECT) {
            g.writeNumberProperty("code", e.code());
            g.writeStringProperty("reason", e.reason());
        }
        g.writeEndObject();
    }
}
