package io.pushgate.web;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.adapter.ForwardedHeaderTransformer;

/**
 * Applies {@code Forwarded} and {@code X-Forwarded-*} only when the TCP peer is a trusted proxy
 * ({@code pushgate.http.trusted-proxies}); from any other peer they are removed unread, so that what the
 * request says about its scheme, host, port and client address is what the connection says. Every
 * WebFlux request goes through here before any filter or handler: the same-origin check of the client
 * endpoints, the compat {@code allowed-from} rule, logs and rate limits all see the same answer.
 * (The Netty-direct paths read none of these headers: they take only requests whose origin the list
 * alone allows and hand everything else to WebFlux.)
 *
 * <p>The client address is not the leftmost {@code X-Forwarded-For} entry, which the client itself may
 * write (nginx's {@code $proxy_add_x_forwarded_for} appends to what it received): it is the rightmost
 * entry that is not a trusted proxy, walking back from the peer through the proxies that added them.
 * Scheme, host, port and prefix are read by Spring's own transformer.
 */
public final class TrustedForwardedHeaders extends ForwardedHeaderTransformer {

    private final AddressRanges trusted;
    private final ForwardedHeaderTransformer remover = new ForwardedHeaderTransformer();

    public TrustedForwardedHeaders(AddressRanges trusted) {
        this.trusted = trusted;
        this.remover.setRemoveOnly(true);
    }

    @Override
    public ServerHttpRequest apply(ServerHttpRequest request) {
        if (!hasForwardedHeaders(request)) {
            return request;
        }
        InetSocketAddress peer = request.getRemoteAddress();
        if (peer == null || !trusted.contains(peer.getAddress())) {
            return remover.apply(request);
        }
        InetSocketAddress client = client(request.getHeaders(), peer);
        return super.apply(request).mutate().remoteAddress(client).build();
    }

    /**
     * Walks the hops the proxies recorded, nearest first, past every trusted proxy: the first other address
     * is the client. An entry that is not an IP literal ({@code unknown}, an obfuscated name) ends the walk
     * at the last hop known. When every hop is trusted, the farthest one is the client.
     */
    private InetSocketAddress client(HttpHeaders headers, InetSocketAddress peer) {
        List<String> hops = headers.containsHeader("Forwarded") ? forwardedFor(headers.getValuesAsList("Forwarded"))
                : xForwardedFor(headers.getValuesAsList("X-Forwarded-For"));
        InetSocketAddress client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetSocketAddress hop = address(hops.get(i));
            if (hop == null) {
                return client;
            }
            client = hop;
            if (!trusted.contains(hop.getAddress())) {
                return hop;
            }
        }
        return client;
    }

    private static List<String> xForwardedFor(List<String> values) {
        List<String> hops = new ArrayList<>();
        for (String value : values) {
            for (String hop : value.split(",")) {
                if (!hop.isBlank()) {
                    hops.add(hop.trim());
                }
            }
        }
        return hops;
    }

    /** The {@code for=} of each element of RFC 7239 {@code Forwarded} headers, in order. */
    private static List<String> forwardedFor(List<String> values) {
        List<String> hops = new ArrayList<>();
        for (String value : values) {
            for (String element : value.split(",")) {
                for (String pair : element.split(";")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase("for")) {
                        String node = pair.substring(eq + 1).trim();
                        if (node.length() > 1 && node.startsWith("\"") && node.endsWith("\"")) {
                            node = node.substring(1, node.length() - 1);
                        }
                        hops.add(node);
                    }
                }
            }
        }
        return hops;
    }

    /** {@code 10.0.0.1}, {@code 10.0.0.1:4711}, {@code ::1}, {@code [::1]}, {@code [::1]:4711}; else {@code null}. */
    private static @Nullable InetSocketAddress address(String hop) {
        String host = hop;
        int port = 0;
        if (hop.startsWith("[")) {
            int close = hop.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = hop.substring(0, close + 1);
            port = port(hop.substring(close + 1));
        } else if (hop.indexOf(':') >= 0 && hop.indexOf(':') == hop.lastIndexOf(':')) {
            host = hop.substring(0, hop.indexOf(':'));
            port = port(hop.substring(hop.indexOf(':')));
        }
        InetAddress address = port < 0 ? null : AddressRanges.literal(host);
        return address == null ? null : new InetSocketAddress(address, port);
    }

    /** The port of {@code :4711}, 0 for none, -1 for anything else. */
    private static int port(String suffix) {
        if (suffix.isEmpty()) {
            return 0;
        }
        if (!suffix.startsWith(":") || suffix.length() > 6) {
            return -1;
        }
        try {
            int port = Integer.parseInt(suffix.substring(1));
            return port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
