package io.pushgate.web;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The counting behind the caps on unauthenticated connections; the refusals themselves are tested over sockets. */
class UnauthenticatedTests {

    private static InetSocketAddress peer(String ip) {
        return new InetSocketAddress(ip, 40000);
    }

    @Test
    void eachAddressHasItsCapAndTheNodeHasOneForAll() {
        Unauthenticated gate = new Unauthenticated(5, 2);
        List<Unauthenticated.Permit> permits = new ArrayList<>();
        permits.add(gate.admit(peer("10.0.0.1")));
        permits.add(gate.admit(peer("10.0.0.1")));
        assertThat(gate.admit(peer("10.0.0.1"))).as("a third from one address").isNull();
        permits.add(gate.admit(peer("10.0.0.2")));
        permits.add(gate.admit(peer("10.0.0.2")));
        permits.add(gate.admit(peer("10.0.0.3")));
        assertThat(permits).doesNotContainNull();
        assertThat(gate.admit(peer("10.0.0.4"))).as("a sixth on the node, from a new address").isNull();
        assertThat(gate.count()).isEqualTo(5);

        permits.get(0).release();
        permits.get(0).release(); // a second release gives back nothing more
        assertThat(gate.count()).isEqualTo(4);
        assertThat(gate.admit(peer("10.0.0.4"))).isNotNull();
        assertThat(gate.admit(peer("10.0.0.1"))).as("the node is full again").isNull();
    }

    @Test
    void theSamePeerOnAnotherPortIsTheSameAddress() {
        Unauthenticated gate = new Unauthenticated(100, 1);
        assertThat(gate.admit(new InetSocketAddress("127.0.0.1", 1))).isNotNull();
        assertThat(gate.admit(new InetSocketAddress("127.0.0.1", 2))).isNull();
        assertThat(gate.admit(null)).as("no address: one shared place").isNotNull();
        assertThat(gate.admit(null)).isNull();
    }
}
