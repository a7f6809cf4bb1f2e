package io.pushgate.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Binds the server to {@code 127.0.0.1} when it runs with generated (development) secrets and no
 * {@code server.address} is set. A zero-configuration start prints its API key on the console; bound to
 * loopback, that open API is reachable from this machine only. Runs after Spring Boot's own customizer,
 * so an explicit {@code server.address} (any value, {@code 0.0.0.0} included) always wins.
 */
final class DevelopmentBind implements WebServerFactoryCustomizer<ConfigurableWebServerFactory>, Ordered {

    static final String LOOPBACK = "127.0.0.1";

    private final Secrets secrets;
    private final Environment environment;

    DevelopmentBind(Secrets secrets, Environment environment) {
        this.secrets = secrets;
        this.environment = environment;
    }

    /** Whether the server is bound to loopback because its secrets were generated. */
    static boolean loopbackOnly(Secrets secrets, Environment environment) {
        return secrets.generated() && !environment.containsProperty("server.address");
    }

    @Override
    public void customize(ConfigurableWebServerFactory factory) {
        if (loopbackOnly(secrets, environment)) {
            try {
                // IPv4, as the banner's URLs and nginx's upstream (127.0.0.1:8080) expect
                factory.setAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // unreachable: a 4-byte address is always valid
            }
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
