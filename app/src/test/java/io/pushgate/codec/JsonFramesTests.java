package io.pushgate.codec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import io.pushgate.core.Address;
import io.pushgate.core.Frame;
import io.pushgate.core.Message;
import io.pushgate.support.SchemaValidator;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each server frame's exact JSON, member order included, as {@code api-spec/asyncapi.yaml} describes
 * it; and each one valid against its schema there, so the text pinned here and the contract cannot part.
 */
class JsonFramesTests {

    private static final SchemaValidator ASYNCAPI =
            new SchemaValidator(SchemaValidator.loadYaml(Path.of("..", "api-spec", "asyncapi.yaml")));

    private final JsonMapper mapper = JsonMapper.builder().build();
    private final JsonFrames frames = new JsonFrames(mapper);

    private String json(Frame frame, String schema) {
        String text = new String(frame.json(), StandardCharsets.UTF_8);
        assertThat(ASYNCAPI.validate("#/components/schemas/" + schema, mapper.readTree(text)))
                .as("%s against asyncapi.yaml's %s", text, schema).isEmpty();
        return text;
    }

    @Test
    void aWelcomeNamesTheSessionItsGroupsInNameOrderAndItsStartingCursor() {
        Frame welcome = frames.welcome("node1-1", "alice", 25000, List.of("room-2", "room-1"), "k2v9q-1a-mbx1c9k0");
        assertThat(json(welcome, "Welcome")).isEqualTo("{\"type\":\"welcome\",\"clientId\":\"node1-1\",\"uid\":\"alice\","
                + "\"heartbeat\":25000,\"groups\":[\"room-1\",\"room-2\"],\"cursor\":\"k2v9q-1a-mbx1c9k0\"}");
        // the SSE id of the welcome is its cursor: a stream that drops before any message still resumes
        assertThat(welcome.id()).isEqualTo("k2v9q-1a-mbx1c9k0");
        assertThat(welcome.event()).isEqualTo("welcome");
        assertThat(json(frames.welcome("n-2", "bob", 1000, List.of(), "c-0-0"), "Welcome")).contains("\"groups\":[]");
    }

    @Test
    void aMessageCarriesItsDataVerbatim() {
        String data = "{\"big\":1e999,\"dec\":3.141592653589793238462643383279,\"s\":\"\\u00e9\"}";
        Frame message = frames.encode(new Message("k2v9q-1b-mbx1c9k0", "new_msg", data, Address.uid("alice"), 1767225600000L));
        assertThat(json(message, "Message")).isEqualTo("{\"type\":\"message\",\"id\":\"k2v9q-1b-mbx1c9k0\",\"event\":\"new_msg\","
                + "\"data\":" + data + ",\"to\":{\"uid\":\"alice\"},\"ts\":1767225600000}");
        assertThat(message.id()).isEqualTo("k2v9q-1b-mbx1c9k0");
        assertThat(message.event()).isEqualTo("new_msg");
    }

    @Test
    void aMessageSaysWhichAddressMatched() {
        assertThat(json(frames.encode(new Message("e-1-1", "e", "null", Address.group("room-1"), 1)), "Message"))
                .contains("\"data\":null,\"to\":{\"group\":\"room-1\"}");
        assertThat(json(frames.encode(new Message("e-1-1", "e", "[1,2]", Address.client("node1-7"), 1)), "Message"))
                .contains("\"data\":[1,2],\"to\":{\"client\":\"node1-7\"}");
        assertThat(json(frames.encode(new Message("e-1-1", "e", "\"x\"", Address.ALL, 1)), "Message"))
                .contains("\"data\":\"x\",\"to\":{\"all\":true}");
    }

    @Test
    void repliesSayOkWithTheirRefAndResultOrTheirError() {
        assertThat(json(frames.ok(1L, null), "Reply")).isEqualTo("{\"type\":\"reply\",\"ref\":1,\"ok\":true}");
        assertThat(json(frames.ok(2L, g -> {
            g.writeStringProperty("id", "k2v9q-1c-mbx1c9k9");
            g.writeNumberProperty("sessions", 3);
        }), "Reply")).isEqualTo("{\"type\":\"reply\",\"ref\":2,\"ok\":true,\"result\":{\"id\":\"k2v9q-1c-mbx1c9k9\",\"sessions\":3}}");
        assertThat(json(frames.error(3L, "forbidden", "the token does not allow joining this group"), "Reply"))
                .isEqualTo("{\"type\":\"reply\",\"ref\":3,\"ok\":false,\"error\":"
                        + "{\"code\":\"forbidden\",\"message\":\"the token does not allow joining this group\"}}");
        // a frame that could not be read has no ref to echo
        assertThat(json(frames.error(null, "bad_frame", "frame refused"), "Reply"))
                .isEqualTo("{\"type\":\"reply\",\"ok\":false,\"error\":{\"code\":\"bad_frame\",\"message\":\"frame refused\"}}");
        assertThat(frames.ok(1L, null).id()).as("a reply is no position in the stream").isNull();
    }

    @Test
    void pongPingResetAndCloseAreTheirFewMembers() {
        assertThat(json(frames.pong(), "Pong")).isEqualTo("{\"type\":\"pong\"}");
        assertThat(frames.pong()).as("encoded once").isSameAs(frames.pong());
        Frame ping = frames.ping("k2v9q-1b-mbx1c9k0");
        assertThat(json(ping, "Ping")).isEqualTo("{\"type\":\"ping\",\"cursor\":\"k2v9q-1b-mbx1c9k0\"}");
        Frame reset = frames.reset("k2v9q-2c-mbx1d0a3");
        assertThat(json(reset, "Reset")).isEqualTo("{\"type\":\"reset\",\"cursor\":\"k2v9q-2c-mbx1d0a3\"}");
        assertThat(reset.id()).as("the browser resumes from the reset, not from before it").isEqualTo("k2v9q-2c-mbx1d0a3");
        assertThat(json(frames.close(4403, "kicked"), "Close")).isEqualTo("{\"type\":\"close\",\"code\":4403,\"reason\":\"kicked\"}");
    }

    @Test
    void textIsEscapedAsJsonRequires() {
        assertThat(json(frames.error(5L, "bad_frame", "quote \" and\nnewline"), "Reply"))
                .contains("\"message\":\"quote \\\" and\\nnewline\"");
    }
}
