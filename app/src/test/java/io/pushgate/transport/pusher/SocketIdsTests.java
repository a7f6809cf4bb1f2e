package io.pushgate.transport.pusher;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SocketIdsTests {

    @Test
    void aClientIdBecomesASocketIdOfPushersFormAndBack() {
        for (String clientId : new String[] {"test-1", "node-a-zz", "n\u00e9-0", "7f3c9a-1k2m3n"}) {
            String socketId = SocketIds.of(clientId);
            assertThat(socketId).matches("\\A\\d+\\.\\d+\\z"); // the SDKs' check
            assertThat(SocketIds.clientId(socketId)).isEqualTo(clientId);
        }
    }

    @Test
    void whatIsNotASocketIdHasNoClientId() {
        assertThat(SocketIds.clientId(null)).isNull();
        assertThat(SocketIds.clientId("")).isNull();
        assertThat(SocketIds.clientId("1234")).isNull();
        assertThat(SocketIds.clientId("12.34.56")).isNull();
        assertThat(SocketIds.clientId("a.1")).isNull();
        assertThat(SocketIds.clientId("1." + "9".repeat(30))).isNull();
    }
}
