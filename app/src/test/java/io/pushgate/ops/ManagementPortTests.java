package io.pushgate.ops;

import java.io.IOException;
import java.net.ServerSocket;

import io.pushgate.support.ClusterNode;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A management port equal to the public one would put Actuator on the public port: the node refuses to start. */
class ManagementPortTests {

    @Test
    void aNodeWhoseManagementPortIsThePublicPortRefusesToStart() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        // ClusterNode: its own event loops, so the failed start disposes nothing that other test servers use
        assertThatThrownBy(() -> ClusterNode.start("same", "pushgate.broker=memory", "server.port=" + port,
                "management.server.port=" + port).close())
                .hasStackTraceContaining("Actuator would answer there");
    }
}
