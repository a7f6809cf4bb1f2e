package io.pushgate.compat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Collections;

import io.pushgate.support.Api;
import io.pushgate.support.PushgateIntegrationTest;
import io.pushgate.support.WsTestClient;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import tools.jackson.databind.JsonNode;

import static io.pushgate.support.TestSecrets.token;
import static io.pushgate.support.TestSecrets.uniqueUid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A backend written for Workerman's push.php keeps writing {@code {"uid":…,"percent":…}} lines to the
 * Text port and reading {@code ok} / {@code fail}, and the uid's pages get the rest of the object.
 */
@PushgateIntegrationTest
@TestPropertySource(properties = {"pushgate.compat.text-port.enabled=true", "pushgate.compat.text-port.port=0"})
class WorkermanTextPortTests {

    @LocalServerPort
    int port;

    @Autowired
    WorkermanTextPort textPort;

    @Test
    void aLineForAnOnlineUidAnswersOkAndThePageGetsTheOtherFields() throws Exception {
        String uid = uniqueUid("text");
        try (WsTestClient page = WsTestClient.connect(new Api(port).ws("token=" + token(uid)));
             Socket backend = new Socket("127.0.0.1", textPort.port())) {
            page.nextOfType("welcome");

            String answer = exchange(backend, "{\"uid\":\"" + uid + "\",\"percent\":\"88%\"}\n");

            assertThat(answer).isEqualTo("ok");
            JsonNode message = page.nextMessage();
            assertThat(message.path("event").asString()).isEqualTo("message");
            assertThat(message.path("data").toString()).isEqualTo("{\"percent\":\"88%\"}");
        }
    }

    @Test
    void thePayloadReachesThePageExactlyAsTheBackendWroteIt() throws Exception {
        String uid = uniqueUid("text-exact");
        try (WsTestClient page = WsTestClient.connect(new Api(port).ws("token=" + token(uid)));
             Socket backend = new Socket("127.0.0.1", textPort.port())) {
            page.nextOfType("welcome");

            String answer = exchange(backend, "{\"big\":1e999, \"uid\" : \"" + uid
                    + "\", \"dec\" : 3.141592653589793238462643383279,\"s\":\"a b\\u00e9\"}\n");

            assertThat(answer).isEqualTo("ok");
            assertThat(page.nextText("\"type\":\"message\""))
                    .contains("\"data\":{\"big\":1e999,\"dec\":3.141592653589793238462643383279,\"s\":\"a b\\u00e9\"},");
        }
    }

    @Test
    void linesAreAnsweredInOrderAndAnOfflineUidOrABadLineGetsFail() throws Exception {
        String uid = uniqueUid("text-order");
        try (WsTestClient page = WsTestClient.connect(new Api(port).ws("token=" + token(uid)));
             Socket backend = new Socket("127.0.0.1", textPort.port())) {
            page.nextOfType("welcome");
            backend.setSoTimeout(10_000);
            OutputStream out = backend.getOutputStream();
            out.write(("{\"uid\":\"" + uniqueUid("offline") + "\",\"percent\":\"1%\"}\n"
                    + "not json\n"
                    + "{\"percent\":\"no uid\"}\n"
                    + "{\"uid\":\"" + uid + "\",\"percent\":\"2%\"}\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(backend.getInputStream(), StandardCharsets.UTF_8));

            assertThat(in.readLine()).isEqualTo("fail");
            assertThat(in.readLine()).isEqualTo("fail");
            assertThat(in.readLine()).isEqualTo("fail");
            assertThat(in.readLine()).isEqualTo("ok");
            assertThat(page.nextMessage().path("data").path("percent").asString()).isEqualTo("2%");
        }
    }

    /** The port has no authentication: by default another host cannot even connect to it. */
    @Test
    void theTextPortListensOnLoopbackOnly() throws Exception {
        InetAddress external = null;
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (nic.isUp() && !address.isLoopbackAddress() && address instanceof Inet4Address) {
                    external = address;
                }
            }
        }
        Assumptions.assumeTrue(external != null, "this machine has no address besides loopback");
        InetAddress other = external;

        assertThatThrownBy(() -> new Socket(other, textPort.port()).close()).isInstanceOf(ConnectException.class);
        try (Socket loopback = new Socket("127.0.0.1", textPort.port())) {
            assertThat(loopback.isConnected()).isTrue();
        }
    }

    private static String exchange(Socket backend, String line) throws Exception {
        backend.setSoTimeout(10_000);
        OutputStream out = backend.getOutputStream();
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return new BufferedReader(new InputStreamReader(backend.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }
}
