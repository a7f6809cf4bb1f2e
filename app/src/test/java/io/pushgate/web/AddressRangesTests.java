package io.pushgate.web;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The address rules of {@code pushgate.http.trusted-proxies} and {@code allowed-from}: literals and CIDR, IPv4 and IPv6. */
class AddressRangesTests {

    private final AddressRanges ranges = AddressRanges.of(
            List.of("127.0.0.1", "::1", "10.0.0.0/8", "192.168.1.128/25", "fd00::/8", "2001:db8::7"), "test");

    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, true", "127.0.0.2, false", "::1, true", "0:0:0:0:0:0:0:1, true", "[::1], true",
            "10.255.0.1, true", "11.0.0.1, false", "192.168.1.200, true", "192.168.1.100, false",
            "fd12:3456::1, true", "fe80::1, false", "2001:db8::7, true", "2001:db8::8, false",
            "::ffff:10.1.2.3, true", "::ffff:11.1.2.3, false"})
    void matchesAddressesAndRanges(String address, boolean contained) {
        assertThat(ranges.contains(AddressRanges.literal(address))).isEqualTo(contained);
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "example.com", "10.0.0.0/33", "::1/129", "10.0.0.0/x", "300.1.1.1"})
    void anythingButAnIpLiteralOrRangeIsRefusedAtStart(String entry) {
        assertThatIllegalArgumentException().isThrownBy(() -> AddressRanges.of(List.of(entry), "pushgate.http.trusted-proxies"))
                .withMessageContaining("pushgate.http.trusted-proxies");
    }

    @ParameterizedTest
    @ValueSource(strings = {"unknown", "_hidden", "", "host.example"})
    void aNameIsNotAnAddressAndIsNeverLookedUp(String text) {
        assertThat(AddressRanges.literal(text)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"203.0.113.9", "2001:db8::1"})
    void aStarTakesEveryAddressAndAnEmptyListNone(String address) {
        assertThat(AddressRanges.of(List.of("*"), "test").contains(AddressRanges.literal(address))).isTrue();
        assertThat(AddressRanges.of(List.of(), "test").contains(AddressRanges.literal(address))).isFalse();
    }
}
