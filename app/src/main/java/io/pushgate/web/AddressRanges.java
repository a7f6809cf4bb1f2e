package io.pushgate.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import io.netty.util.NetUtil;

import org.jspecify.annotations.Nullable;

/**
 * A set of IP addresses written as addresses or CIDR ranges, IPv4 and IPv6 ({@code 127.0.0.1},
 * {@code ::1}, {@code 10.0.0.0/8}, {@code fd00::/8}); {@code *} is every address. Entries are IP literals
 * only: a host name would need a DNS lookup, which must not decide who is trusted, so it is refused at
 * start-up. An IPv4 address seen as IPv4-mapped IPv6 ({@code ::ffff:10.0.0.1}) matches its IPv4 entry.
 */
public final class AddressRanges {

    private record Range(byte[] network, int prefix) {

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Range> ranges;
    private final boolean any;

    private AddressRanges(List<Range> ranges, boolean any) {
        this.ranges = ranges;
        this.any = any;
    }

    /**
     * @param entries addresses or CIDR ranges, or {@code *}
     * @param setting the setting's name, for the start-up error of an entry that is not one
     */
    public static AddressRanges of(List<String> entries, String setting) {
        List<Range> ranges = new ArrayList<>();
        boolean any = false;
        for (String raw : entries) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                any = true;
                continue;
            }
            int slash = entry.indexOf('/');
            InetAddress address = literal(slash < 0 ? entry : entry.substring(0, slash));
            if (address == null) {
                throw new IllegalArgumentException(setting + ": '" + entry + "' is not an IP address or CIDR range");
            }
            byte[] bytes = address.getAddress();
            int prefix = bytes.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > bytes.length * 8) {
                    throw new IllegalArgumentException(setting + ": '" + entry + "' has an invalid prefix length");
                }
            }
            ranges.add(new Range(bytes, prefix));
        }
        return new AddressRanges(List.copyOf(ranges), any);
    }

    /** Whether the address is in one of the ranges; {@code null} (an unknown peer) never is, unless {@code *}. */
    public boolean contains(@Nullable InetAddress address) {
        if (any) {
            return true;
        }
        if (address == null) {
            return false;
        }
        byte[] bytes = normalized(address).getAddress();
        for (Range range : ranges) {
            if (range.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The address an IP literal writes ({@code 10.0.0.1}, {@code ::1}, {@code [::1]}), without any DNS
     * lookup, or {@code null} when the text is not one. IPv4-mapped IPv6 comes back as IPv4.
     */
    public static @Nullable InetAddress literal(String text) {
        String ip = text.trim();
        if (ip.length() > 2 && ip.charAt(0) == '[' && ip.charAt(ip.length() - 1) == ']') {
            ip = ip.substring(1, ip.length() - 1);
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(ip);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes); // a mapped IPv4 comes back as Inet4Address
        } catch (UnknownHostException e) {
            return null; // unreachable: the length is 4 or 16
        }
    }

    private static InetAddress normalized(InetAddress address) {
        try {
            return InetAddress.getByAddress(address.getAddress());
        } catch (UnknownHostException e) {
            return address; // unreachable: the length is 4 or 16
        }
    }
}
