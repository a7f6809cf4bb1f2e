package io.pushgate.web;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

import io.pushgate.support.PushgateIntegrationTest;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection that opens and never sends its request (or its WebSocket upgrade) is closed by the
 * server after {@code server.netty.idle-timeout}, so half-open handshakes cannot pile up.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = "server.netty.idle-timeout=500ms")
class HandshakeTimeoutTests {

    @LocalServerPort
    int port;

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeout() throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            long started = System.nanoTime();
            InputStream in = socket.getInputStream();
            int read;
            try {
                read = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept an idle connection open for 10 s", e);
            } catch (java.net.SocketException reset) {
                read = -1; // closed by the server with a reset: also closed
            }
            long waitedMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(read).as("end of stream").isEqualTo(-1);
            assertThat(waitedMillis).as("closed after the idle timeout, not before").isGreaterThanOrEqualTo(400);
        }
    }
}
