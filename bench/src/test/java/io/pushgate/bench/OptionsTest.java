package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The options that put a cluster's sessions on some nodes and measure every node's CPU. */
class OptionsTest {

    private static Options options(String... more) {
        String[] base = {"--scenario", "uid", "--jwt-secret", "s", "--api-key", "k",
                "--ws-url", "ws://127.0.0.1:1,ws://127.0.0.1:2,ws://127.0.0.1:3"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return new Options(all);
    }

    @Test
    void sessionsGoRoundRobinOverEveryNodeByDefault() {
        Options o = options();
        assertEquals(List.of(1, 2, 3, 1), List.of(o.sessionUrl(0).getPort(), o.sessionUrl(1).getPort(),
                o.sessionUrl(2).getPort(), o.sessionUrl(3).getPort()));
    }

    @Test
    void sessionNodesKeepsEverySessionOnTheFirstNodes() {
        Options one = options("--session-nodes", "1");
        for (int n = 0; n < 4; n++) {
            assertEquals(URI.create("ws://127.0.0.1:1"), one.sessionUrl(n));
        }
        Options two = options("--session-nodes", "2");
        assertEquals(List.of(1, 2, 1), List.of(two.sessionUrl(0).getPort(), two.sessionUrl(1).getPort(),
                two.sessionUrl(2).getPort()));
        assertThrows(IllegalArgumentException.class, () -> options("--session-nodes", "4"));
        assertThrows(IllegalArgumentException.class, () -> options("--session-nodes", "0"));
    }

    @Test
    void cpuPidsAreNamedInTheOrderGiven() {
        assertEquals(List.of(Map.entry("n0", 11L), Map.entry("n1", 12L), Map.entry("redis", 13L)),
                List.copyOf(options("--cpu-pids", "n0=11,n1=12,redis=13").cpuPids.entrySet()));
        assertEquals(Map.of(), options().cpuPids);
        assertThrows(IllegalArgumentException.class, () -> options("--cpu-pids", "11"));
        assertThrows(IllegalArgumentException.class, () -> options("--cpu-pids", "a b=11"));
    }
}
