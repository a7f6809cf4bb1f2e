package io.pushgate.broker.redis;

import java.util.HashSet;
import java.util.List;

import io.pushgate.core.Publication;
import io.pushgate.core.Target;

import tools.jackson.databind.json.JsonMapper;

/**
 * A publish as it travels in the log: the request itself (its payload stays JSON text, so it is
 * encoded once, by each node, into the frames its sessions get) and the uids it is held for.
 */
public final class PublicationCodec {

    /** Short member names keep log entries small: every node reads every one. */
    record Wire(List<String> u, List<String> g, List<String> c, boolean a, List<String> x, String e, String d,
                int t, List<String> h) {
    }

    record Decoded(Publication publication, List<String> holdFor) {
    }

    private final JsonMapper mapper;

    public PublicationCodec(JsonMapper mapper) {
        this.mapper = mapper;
    }

    String encode(Publication p, List<String> holdFor) {
        Target t = p.target();
        return mapper.writeValueAsString(new Wire(t.uids(), t.groups(), t.clients(), t.all(),
                List.copyOf(t.excludeClients()), p.event(), p.dataJson(), p.ttlSeconds(), holdFor));
    }

    Decoded decode(String json) {
        Wire w = mapper.readValue(json, Wire.class);
        Target target = new Target(w.u(), w.g(), w.c(), w.a(), new HashSet<>(w.x()));
        return new Decoded(new Publication(target, w.e(), w.d(), w.t()), w.h());
    }
}
