package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class PusherSignerTest {

    @Test
    void signsPushersWorkedExample() {
        // the worked example of Pusher's HTTP API authentication reference: its body_md5 and auth_signature
        PusherSigner signer = new PusherSigner("278d425bdf160c739803", "7ad3773142a6692b25b8");
        byte[] body = "{\"name\":\"foo\",\"channels\":[\"project-3\"],\"data\":\"{\\\"some\\\":\\\"data\\\"}\"}"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals("auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0"
                        + "&body_md5=ec365a775a4cd0599faeb73354201b6f"
                        + "&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c",
                signer.query("POST", "/apps/3/events", body, 1353088179));
        // the same signer again: the digest and the MAC start afresh for each request
        assertEquals(signer.query("POST", "/apps/3/events", body, 1353088179),
                signer.query("POST", "/apps/3/events", body, 1353088179));
    }
}
