package io.pushgate.transport.pusher;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PusherAppTests {

    /** The example of Pusher's "Generating the authentication signature" page. */
    private final PusherApp app = new PusherApp("1", "278d425bdf160c739803", "7ad3773142a6692b25b8");

    @Test
    void aPrivateChannelAuthIsTheKeyAndTheHmacOfSocketIdAndChannel() {
        String auth = "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
        assertThat(app.authorises(auth, "1234.1234", "private-foobar", null)).isTrue();
    }

    @Test
    void anAuthForAnotherSocketChannelOrKeyIsRefused() {
        String auth = "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
        assertThat(app.authorises(auth, "1234.1235", "private-foobar", null)).isFalse();
        assertThat(app.authorises(auth, "1234.1234", "private-foobaz", null)).isFalse();
        assertThat(app.authorises("another-key" + auth.substring(auth.indexOf(':')), "1234.1234", "private-foobar", null)).isFalse();
        assertThat(app.authorises(auth.substring(auth.indexOf(':') + 1), "1234.1234", "private-foobar", null)).isFalse();
        assertThat(app.authorises(null, "1234.1234", "private-foobar", null)).isFalse();
    }

    @Test
    void aPresenceAuthSignsTheChannelDataToo() {
        String data = "{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}";
        String auth = app.key() + ":" + app.sign("1234.1234:presence-foobar:" + data);
        assertThat(app.authorises(auth, "1234.1234", "presence-foobar", data)).isTrue();
        assertThat(app.authorises(auth, "1234.1234", "presence-foobar", data.replace("10", "11"))).isFalse();
        assertThat(app.authorises(auth, "1234.1234", "presence-foobar", null)).isFalse();
    }

    @Test
    void bodyMd5IsLowerCaseHex() {
        assertThat(PusherApp.md5("".getBytes(StandardCharsets.UTF_8))).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
    }

    @Test
    void theSecretIsNeverPrinted() {
        assertThat(app.toString()).doesNotContain(app.secret());
    }

    @Test
    void everyPartIsRequired() {
        assertThatThrownBy(() -> new PusherApp("1", "key", " ")).isInstanceOf(IllegalArgumentException.class);
    }
}
